package timeline

import "strings"

// AnonymousCustomer is the one timeline shared by callers who withhold
// their number: without a number there is nothing to tell them apart by.
const AnonymousCustomer = "anonymous"

// E.164 allows at most 15 digits after the "+"; fewer than 8 is never a
// full international number (it is an extension or a local short code).
const (
	minE164Digits = 8
	maxE164Digits = 15
	// minNationalDigits is the shortest plain number taken to be a national
	// number rather than an internal extension.
	minNationalDigits = 7
)

// NormalizeNumber turns a caller number or the user part of a SIP URI into
// E.164 ("+" and 8 to 15 digits), so that one customer has one timeline
// however their number was written or which trunk delivered it.
//
// Spaces, tabs, dashes, dots and parentheses are dropped, as are a "tel:",
// "sip:" or "sips:" scheme, anything from "@" or ";" on, and a "(0)" trunk
// hint. Then:
//   - "+..." stays as it is;
//   - "00..." (international access prefix) becomes "+...", and so does
//     "011..." when defaultCountry is 1 (North America);
//   - "0..." (a national number with its trunk prefix) becomes
//     "+" + defaultCountry + the rest;
//   - other plain numbers of 7 or more digits are national numbers and get
//     "+" + defaultCountry, unless they already start with defaultCountry
//     followed by at least 8 digits: trunks often send international numbers
//     without the "+" (447700900123), and numbering plans keep national
//     numbers from starting with their own country code.
//
// defaultCountry is a country calling code ("44" or "+44"); empty turns off
// the last two rules. Anything else (anonymous, letters, fewer than 7 digits
// such as the internal extension "2001", too few or too many digits for
// E.164) is not a number: NormalizeNumber returns raw, trimmed, and false.
// A short extension is kept as it is, rather than rejected, so that internal
// test calls still get a timeline of their own.
func NormalizeNumber(raw, defaultCountry string) (string, bool) {
	trimmed := strings.TrimSpace(raw)
	s := trimmed
	for _, scheme := range []string{"tel:", "sip:", "sips:"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if i := strings.IndexAny(s, "@;"); i >= 0 {
		s = s[:i]
	}
	// "+44 (0)20 ..." shows the trunk prefix to national callers only; it
	// is not part of the international number.
	s = strings.ReplaceAll(s, "(0)", "")
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	cc := strings.TrimPrefix(defaultCountry, "+")
	if !isDigits(cc) || len(cc) > 3 {
		cc = ""
	}

	var digits string
	switch {
	case strings.HasPrefix(s, "+"):
		digits = s[1:]
	case strings.HasPrefix(s, "00"):
		digits = s[2:]
	case cc == "1" && strings.HasPrefix(s, "011"):
		// North America dials out with 011 and has no trunk prefix 0.
		digits = s[3:]
	case strings.HasPrefix(s, "0") && cc != "":
		digits = cc + s[1:]
	case cc != "" && isDigits(s) && len(s) >= minNationalDigits:
		if strings.HasPrefix(s, cc) && len(s)-len(cc) >= minE164Digits {
			digits = s
		} else {
			digits = cc + s
		}
	default:
		return trimmed, false
	}
	if !isDigits(digits) || len(digits) < minE164Digits || len(digits) > maxE164Digits {
		return trimmed, false
	}
	return "+" + digits, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CustomerID names the customer a call belongs to. An account number typed
// in the IVR wins ("acct:" + account), because it names the customer even
// when they call from someone else's phone; then the caller's number in
// E.164; then the caller as given (a SIP user, an extension). A withheld
// caller ("" or "anonymous") is AnonymousCustomer.
func CustomerID(caller, account, defaultCountry string) string {
	if a := strings.TrimSpace(account); a != "" {
		return "acct:" + a
	}
	n, _ := NormalizeNumber(caller, defaultCountry)
	if n == "" || strings.EqualFold(n, AnonymousCustomer) {
		return AnonymousCustomer
	}
	return n
}
