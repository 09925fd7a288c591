package twilio

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/billing-exporter/billing-exporter/config"
	"github.com/billing-exporter/billing-exporter/internal/sandbox"
)

// Fake is one Twilio account and its subaccounts under /2010-04-01 as the
// API's OpenAPI description gives them: the Balance resource with the
// amount as a decimal string (null for a subaccount), usage records as a
// page {"usage_records": [...], "page", "page_size", "next_page_uri", …}
// filtered by the Category query, each price a number in the lower-case
// currency of price_unit, and errors as {"code", "message", "more_info",
// "status"}. Requests need HTTP Basic credentials: the Account SID and its
// auth token, or one of the account's API keys (SK…) and its secret. A
// credential reads its own account; the auth token also the subaccounts.
type Fake struct {
	AccountSID string
	// Replies set by endpoint name (Balance.Name, ThisMonth.Name) answer
	// instead of the accounts' data, for every account: faults and odd shapes.
	sandbox.Replies

	mu        sync.Mutex
	authToken string
	keys      map[string]string // API key SID → secret
	accounts  map[string]*fakeAccount
}

type fakeAccount struct {
	balance any              // the Balance answer: an object or a func() any
	records []map[string]any // this month's usage records, every category
}

// NewFake returns a paying account in USD with this month's usage in
// three categories and their total.
func NewFake(accountSID, authToken string) *Fake {
	f := &Fake{AccountSID: accountSID, authToken: authToken, keys: map[string]string{}, accounts: map[string]*fakeAccount{}}
	f.SetBalance(accountSID, map[string]any{"account_sid": accountSID, "balance": "125.42", "currency": "USD"})
	f.SetUsage(accountSID,
		UsageRecord(accountSID, "calls", 41.2, "usd"),
		UsageRecord(accountSID, "sms", 18.7635, "usd"),
		UsageRecord(accountSID, "phonenumbers", 3.45, "usd"),
		UsageRecord(accountSID, totalPrice, 63.4135, "usd"),
	)
	return f
}

// AddKey gives the account an API key: sid (SK…) and its secret.
func (f *Fake) AddKey(sid, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[sid] = secret
}

// AddSubaccount adds a child account: its balance is null, as the API
// keeps balances on the parent, and its usage is its own.
func (f *Fake) AddSubaccount(sid string) {
	f.SetBalance(sid, map[string]any{"account_sid": sid, "balance": nil, "currency": nil})
	f.SetUsage(sid, UsageRecord(sid, "sms", 7.25, "usd"), UsageRecord(sid, totalPrice, 7.25, "usd"))
}

// SetBalance makes body (an object, or a func() any called per request)
// the Balance answer of account sid.
func (f *Fake) SetBalance(sid string, body any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.account(sid).balance = body
}

// SetUsage makes records this month's usage records of account sid.
func (f *Fake) SetUsage(sid string, records ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.account(sid).records = records
}

// account is account sid's data, a new subaccount's if it had none (f.mu held).
func (f *Fake) account(sid string) *fakeAccount {
	if f.accounts[sid] == nil {
		f.accounts[sid] = &fakeAccount{}
	}
	return f.accounts[sid]
}

// usageCategories are the fake's categories: description, count and its
// unit, usage unit.
var usageCategories = map[string][4]string{
	"calls":        {"Voice Minutes", "412", "calls", "minutes"},
	"sms":          {"SMS", "2311", "messages", "messages"},
	"phonenumbers": {"Phone Numbers", "3", "phone numbers", "phone numbers"},
	totalPrice:     {"Total Price", "0", "", ""},
}

// UsageRecord is one of account sid's usage records of this month in
// category, priced price (a number, as the spec types it; a test may pass
// a string) in unit.
func UsageRecord(sid, category string, price any, unit string) map[string]any {
	c, ok := usageCategories[category]
	if !ok {
		c = [4]string{category, "1", "", ""}
	}
	usage, usageUnit := c[1], c[3]
	if category == totalPrice {
		usage, usageUnit = fmt.Sprint(price), unit // the total's usage is its price
	}
	base := "/2010-04-01/Accounts/" + sid + "/Usage/Records/"
	uris := map[string]any{}
	for name, resource := range map[string]string{"all_time": "AllTime", "daily": "Daily", "last_month": "LastMonth", "monthly": "Monthly",
		"this_month": "ThisMonth", "today": "Today", "yearly": "Yearly", "yesterday": "Yesterday"} {
		uris[name] = base + resource + ".json?Category=" + category
	}
	return map[string]any{
		"account_sid": sid, "api_version": "2010-04-01", "as_of": "2026-11-24T11:02:17+00:00",
		"category": category, "count": c[1], "count_unit": c[2], "description": c[0],
		"start_date": "2026-11-01", "end_date": "2026-11-24", "price": price, "price_unit": unit,
		"subresource_uris": uris, "uri": base + "ThisMonth.json?Category=" + category + "&StartDate=2026-11-01&EndDate=2026-11-24",
		"usage": usage, "usage_unit": usageUnit,
	}
}

// ErrorReply is Twilio's error body with its HTTP status.
func ErrorReply(status, code int, message string) sandbox.Reply {
	return sandbox.Reply{Status: status, Body: map[string]any{"code": code, "message": message,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code), "status": status}}
}

// TooManyRequests is the answer to a client over its concurrency limit,
// asking it to wait retryAfter (seconds or an HTTP date).
func TooManyRequests(retryAfter string) sandbox.Reply {
	rep := ErrorReply(http.StatusTooManyRequests, 20429, "Too Many Requests")
	rep.Header = map[string]string{"Retry-After": retryAfter}
	return rep
}

// resources maps the paths below /2010-04-01/Accounts/{AccountSid}/ that
// the fake serves to their endpoint names.
var resources = map[string]string{"Balance.json": Balance.Name, "Usage/Records/ThisMonth.json": ThisMonth.Name}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || !f.authenticates(user, pass) {
		ErrorReply(http.StatusUnauthorized, 20003, "Authenticate").Write(w)
		return
	}
	if r.Method != http.MethodGet {
		ErrorReply(http.StatusMethodNotAllowed, 20004, "Method not allowed").Write(w)
		return
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/2010-04-01/Accounts/")
	sid, resource, _ := strings.Cut(rest, "/")
	name, known := resources[resource]
	acct, readable := f.readable(user, sid)
	if !known || !readable {
		ErrorReply(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found").Write(w)
		return
	}
	if rep, ok := f.Get(name); ok {
		rep.Write(w)
		return
	}
	switch name {
	case Balance.Name:
		sandbox.Reply{Body: acct.balance}.Write(w)
	case ThisMonth.Name:
		sandbox.Reply{Body: usagePage(r, sid, acct.records)}.Write(w)
	}
}

func (f *Fake) authenticates(user, pass string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if user == f.AccountSID {
		return pass == f.authToken
	}
	secret, ok := f.keys[user]
	return ok && pass == secret
}

// readable is account sid's data if user's credentials may read it.
func (f *Fake) readable(user, sid string) (fakeAccount, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acct, ok := f.accounts[sid]
	if !ok || (sid != f.AccountSID && user != f.AccountSID) {
		return fakeAccount{}, false
	}
	return *acct, true
}

// usagePage is the first page of the records in the query's Category (all
// without one), PageSize at a time (50 by default).
func usagePage(r *http.Request, sid string, records []map[string]any) map[string]any {
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("PageSize"))
	if err != nil || size < 1 || size > 1000 {
		size = 50
	}
	category := q.Get("Category")
	list := []any{}
	for _, rec := range records {
		if category == "" || rec["category"] == category {
			list = append(list, rec)
		}
	}
	uri := func(page int) string {
		v := "/2010-04-01/Accounts/" + sid + "/Usage/Records/ThisMonth.json?"
		if category != "" {
			v += "Category=" + category + "&"
		}
		return v + "PageSize=" + strconv.Itoa(size) + "&Page=" + strconv.Itoa(page)
	}
	var next any
	if len(list) > size {
		list, next = list[:size], uri(1)
	}
	return map[string]any{"first_page_uri": uri(0), "uri": uri(0), "next_page_uri": next, "previous_page_uri": nil,
		"page": 0, "page_size": size, "start": 0, "end": max(len(list)-1, 0), "usage_records": list}
}

// fakeSID is a SID of kind (AC, SK) valid only against the fakes.
func fakeSID(kind string, n int) string { return fmt.Sprintf("%s%032x", kind, n) }

// fakeToken is an auth token or key secret valid only against the fakes.
func fakeToken(n int) string { return fmt.Sprintf("7e57%028x", n) }

// demo is an account whose prepaid balance has fallen under its
// alerts.min_balance, read with its Account SID and auth token.
func demo(d *sandbox.Demo) []config.Account {
	sid, token := fakeSID("AC", 0xde70), fakeToken(0xde70)
	f := NewFake(sid, token)
	f.SetBalance(sid, func() any {
		return map[string]any{"account_sid": sid, "balance": strconv.FormatFloat(d.Drift(8.4, 0.01), 'f', 2, 64), "currency": "USD"}
	})
	f.SetUsage(sid,
		UsageRecord(sid, "calls", 96.3, "usd"),
		UsageRecord(sid, "sms", 31.875, "usd"),
		UsageRecord(sid, "phonenumbers", 3.45, "usd"),
		UsageRecord(sid, totalPrice, 131.625, "usd"),
	)
	return []config.Account{{Name: "twilio", Provider: "twilio", BaseURL: d.Server.Mount("/twilio", f),
		Options: &Options{Username: sid, Password: config.Secret(token)},
		Alerts:  config.Alerts{MinBalance: map[string]float64{"USD": 20}}}}
}

// fixture is a healthy account whose key is api_key's "<SID>:<token>".
func fixture(i int) (http.Handler, config.Secret) {
	sid, token := fakeSID("AC", 0xbe70000+i), fakeToken(0xbe70000+i)
	return NewFake(sid, token), config.Secret(sid + ":" + token)
}
