// Package twilio reads a Twilio account's balance and this month's total
// price from the REST API at https://api.twilio.com/2010-04-01, with HTTP
// Basic authentication: an Account SID (AC…) and its auth token, or an API
// key SID (SK…) and its secret. It never reads the Account resource
// itself, whose answer carries the auth token.
package twilio

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/billing-exporter/billing-exporter/collector/provider"
	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/scrape"
)

// The endpoint table; {AccountSid} is the account read. The usage query
// asks for the one category that sums every other's price.
var (
	Balance   = scrape.Endpoint{Name: "Balance", Path: "/2010-04-01/Accounts/{AccountSid}/Balance.json"}
	ThisMonth = scrape.Endpoint{Name: "Usage/Records/ThisMonth", Path: "/2010-04-01/Accounts/{AccountSid}/Usage/Records/ThisMonth.json?Category=" + totalPrice}
)

// totalPrice is the usage category whose price is the month's total.
const totalPrice = "totalprice"

// Provider describes Twilio to the engine. It writes shared families only.
var Provider = provider.Descriptor{
	Name:           "twilio",
	DefaultBaseURL: "https://api.twilio.com",
	Endpoints:      []scrape.Endpoint{Balance, ThisMonth},
	Options:        func() any { return new(Options) },
	Check:          check,
	Build: func(acct *config.Account, d provider.Deps) (provider.Scraper, error) {
		c, err := credentialsOf(acct, provider.OptionsOf[Options](acct))
		if err != nil {
			return nil, err
		}
		// A vendor echoing the secret alone or the header it travels in
		// must not leak it either.
		d.Client.SetSecret("password", c.password)
		d.Client.SetSecret("basic", base64.StdEncoding.EncodeToString([]byte(c.username+":"+c.password)))
		d.Client.SetAuth(func(r *http.Request) { r.SetBasicAuth(c.username, c.password) })
		return &scraper{client: d.Client, balance: Balance.With(c.account), thisMonth: ThisMonth.With(c.account)}, nil
	},
	VendorMessage: vendorMessage,
	Demo:          demo,
	Fixture:       fixture,
}

// Options are the account keys only Twilio reads. Instead of username and
// password, api_key may hold both as "<SID>:<secret>".
type Options struct {
	// Username is an Account SID (AC…) or an API key SID (SK…).
	Username string `yaml:"username,omitempty"`
	// Password is the account's auth token or the API key's secret.
	Password     config.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`
	// AccountSID is the account read: required with an API key SID,
	// otherwise the username's (a subaccount's, read with its parent's
	// credentials, when set).
	AccountSID string `yaml:"account_sid,omitempty"`
}

var (
	accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	apiKeySID  = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
)

// check validates what it can see: api_key is a placeholder for the
// accounts of other shards, so its content is checked when the scraper
// is built.
func check(a *config.Account) error {
	o := provider.OptionsOf[Options](a)
	if o.Username != "" && a.APIKey != "" {
		return errors.New("api_key: set either api_key (<SID>:<secret>) or username and password, not both")
	}
	if err := provider.CheckLogin(o.Username, o.Password); err != nil {
		return err
	}
	if o.AccountSID != "" {
		if err := config.CheckPathSegment(o.AccountSID); err != nil {
			return fmt.Errorf("account_sid: %w", err)
		}
		if !accountSID.MatchString(o.AccountSID) {
			return fmt.Errorf("account_sid: %q must be an Account SID, AC and 32 hex digits", o.AccountSID)
		}
	}
	if o.Username != "" {
		return checkUsername(fmt.Sprintf("username: %q", o.Username), o.Username, o.AccountSID)
	}
	return nil
}

// checkUsername refuses a username that is neither kind of SID, and an
// API key SID without the account it reads. what names the value in
// errors (never a secret's content).
func checkUsername(what, username, account string) error {
	switch {
	case accountSID.MatchString(username):
		return nil
	case apiKeySID.MatchString(username):
		if account == "" {
			return errors.New("account_sid: missing (an API key SID as username needs the Account SID it reads)")
		}
		return nil
	}
	return fmt.Errorf("%s must be an Account SID (AC and 32 hex digits) or an API key SID (SK and 32 hex digits)", what)
}

// credentials are what requests are sent with and the account they read.
type credentials struct{ username, password, account string }

func credentialsOf(acct *config.Account, o *Options) (credentials, error) {
	c := credentials{username: o.Username, password: string(o.Password)}
	if c.username == "" {
		var ok bool
		c.username, c.password, ok = strings.Cut(string(acct.APIKey), ":")
		if !ok || c.username == "" || c.password == "" {
			return credentials{}, errors.New("api_key: must be <SID>:<secret>, an Account SID or API key SID and its auth token or key secret (or set username and password)")
		}
		if err := checkUsername("api_key: the part before ':'", c.username, o.AccountSID); err != nil {
			return credentials{}, err
		}
	}
	c.account = cmp.Or(o.AccountSID, c.username)
	return c, nil
}

type scraper struct {
	provider.NothingDue
	client *scrape.Client
	// The endpoints with the Account SID in their paths, filled in once.
	balance, thisMonth scrape.Endpoint
}

// balanceDoc is the Balance resource: balance is a decimal string, null
// for a subaccount, whose balance is its parent's.
type balanceDoc struct {
	Balance  scrape.Float `json:"balance"`
	Currency string       `json:"currency"`
}

// usageDoc is a page of usage records.
type usageDoc struct {
	UsageRecords []usageRecord `json:"usage_records"`
}

type usageRecord struct {
	Category  string       `json:"category"`
	Price     scrape.Float `json:"price"`
	PriceUnit string       `json:"price_unit"` // lower case, "usd"
}

func (s *scraper) Scrape(ctx context.Context, e *provider.Emitter) error {
	var (
		bal   balanceDoc
		usage usageDoc
	)
	ok := e.FetchAll(ctx, s.client,
		provider.Read{Endpoint: s.balance, Out: &bal},
		provider.Read{Endpoint: s.thisMonth, Out: &usage},
	)
	if ok[0] {
		if cur := provider.CurrencyCode(bal.Currency); cur != "" {
			e.GaugeIf(provider.Balance, bal.Balance, cur, provider.MainWallet)
		}
	}
	if ok[1] {
		// The query asks for the total alone; other categories, should
		// they come, are parts of it.
		for _, r := range usage.UsageRecords {
			if cur := provider.CurrencyCode(r.PriceUnit); r.Category == totalPrice && cur != "" {
				e.GaugeIf(provider.CurrentCost, r.Price, cur)
			}
		}
	}
	return nil
}

// twilioError is what vendorMessage reads of Twilio's error body.
type twilioError struct {
	Code    scrape.Float `json:"code"`
	Message string       `json:"message"`
}

// vendorMessage reads Twilio's error body, {"code", "message", "more_info",
// "status"}: the message and the error code, which Twilio's error
// dictionary explains.
func vendorMessage(b []byte) string {
	var v twilioError
	_ = json.Unmarshal(b, &v)
	msg := strings.TrimSpace(v.Message)
	if msg == "" || !v.Code.Valid {
		return msg
	}
	return msg + " (Twilio error " + strconv.FormatFloat(v.Code.V, 'f', -1, 64) + ")"
}
