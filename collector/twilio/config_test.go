package twilio_test

import (
	"strings"
	"testing"

	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
)

func noEnv(string) (string, bool) { return "", false }

func twilioAccount(lines ...string) string {
	return "accounts:\n  - name: tw\n    provider: twilio\n    base_url: https://api.twilio.com\n    " + strings.Join(lines, "\n    ") + "\n"
}

// A config is refused at load, or when its collectors are built (as
// --config.check does), naming the key at fault and never a secret.
func TestTwilioConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want string // "" for a valid account
	}{
		{"Account SID and token", twilioAccount("username: "+accountSID, "password: "+authToken), ""},
		{"API key", twilioAccount("username: "+keySID, "password: "+keySecret, "account_sid: "+accountSID), ""},
		{"api_key", twilioAccount("api_key: " + accountSID + ":" + authToken), ""},
		{"api_key of an API key", twilioAccount("api_key: "+keySID+":"+keySecret, "account_sid: "+accountSID), ""},
		{"subaccount", twilioAccount("username: "+accountSID, "password: "+authToken, "account_sid: "+subSID), ""},
		{"username without password", twilioAccount("username: " + accountSID), "password: missing"},
		{"password without username", twilioAccount("password: " + authToken), "username: missing"},
		{"both forms", twilioAccount("api_key: "+accountSID+":"+authToken, "username: "+accountSID, "password: "+authToken), "not both"},
		{"neither", twilioAccount("account_sid: " + accountSID), "api_key: missing"},
		{"API key without account", twilioAccount("username: "+keySID, "password: "+keySecret), "account_sid: missing"},
		{"API key in api_key without account", twilioAccount("api_key: " + keySID + ":" + keySecret), "account_sid: missing"},
		{"username not a SID", twilioAccount("username: billing@example.com", "password: "+authToken), "must be an Account SID"},
		{"short SID", twilioAccount("username: AC123", "password: "+authToken), "must be an Account SID"},
		{"account_sid off the path", twilioAccount("username: "+accountSID, "password: "+authToken, "account_sid: ../"+accountSID), "account_sid:"},
		{"account_sid an API key", twilioAccount("username: "+accountSID, "password: "+authToken, "account_sid: "+keySID), "must be an Account SID"},
		{"api_key without a colon", twilioAccount("api_key: " + authToken), "api_key: must be <SID>:<secret>"},
		{"api_key without a secret", twilioAccount(`api_key: "` + accountSID + `:"`), "api_key: must be <SID>:<secret>"},
		{"api_key with a bad SID", twilioAccount("api_key: AC1:" + authToken), "api_key: the part before ':'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.doc), noEnv, collector.ConfigProviders())
			if err == nil {
				_, err = collector.New(cfg, collector.Options{})
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			case err != nil && (strings.Contains(err.Error(), authToken) || strings.Contains(err.Error(), keySecret)):
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// Accounts of other shards are checked without their secrets, which stand
// as placeholders: their api_key's form is checked where they are served.
func TestTwilioConfigOfAnotherShard(t *testing.T) {
	doc := twilioAccount("api_key_file: /nonexistent/twilio")
	for _, s := range []config.Shard{{Index: 0, Total: 2}, {Index: 1, Total: 2}} {
		if s.Owns("tw") {
			continue
		}
		cfg, err := config.ParseShard([]byte(doc), noEnv, s, collector.ConfigProviders())
		if err != nil {
			t.Fatalf("shard %v: %v", s, err)
		}
		if _, err := collector.New(cfg, collector.Options{}); err != nil || len(cfg.Elsewhere) != 1 {
			t.Fatalf("shard %v: %v, elsewhere %v", s, err, cfg.Elsewhere)
		}
		return
	}
	t.Fatal("no shard of two leaves the account elsewhere")
}
