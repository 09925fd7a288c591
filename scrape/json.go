package scrape

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// decode unmarshals a body, wrapping errors with where they happened.
func (c *Client) decode(endpoint string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		c.opt.Metrics.countError(c, ReasonDecode)
		return c.errorf(endpoint, 200, ReasonDecode, "%s", describeJSONError(err, body))
	}
	return nil
}

// checkShape decodes body into a fresh value of out's type and describes
// what does not fit; out itself is left alone. The value is returned for
// the cache.
func checkShape(body []byte, out any) (any, string) {
	v := any(new(any))
	if t := reflect.TypeOf(out); t != nil && t.Kind() == reflect.Pointer {
		v = reflect.New(t.Elem()).Interface()
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, describeJSONError(err, body)
	}
	return v, ""
}

func describeJSONError(err error, body []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("field %s: got %s where %s is expected", field, te.Value, jsonKind(te.Type))
	// encoding/json reports a cut-off body as a SyntaxError too.
	case err != nil && strings.Contains(err.Error(), "unexpected end of JSON"):
		return fmt.Sprintf("truncated JSON (%d bytes)", len(body))
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d of %d: %v", se.Offset, len(body), se)
	case err != nil:
		return err.Error()
	}
	return "invalid JSON"
}

// jsonKind names the JSON a Go type expects, rather than the Go type,
// which for the anonymous structs of decoders is a line of noise.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for want, marker := range wantTypes { // our tolerant types' refusals
		if t == marker {
			return want
		}
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}
