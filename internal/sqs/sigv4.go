package sqs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Authentication: AWS Signature Version 4 ("Create a signed AWS API
// request" in the IAM user guide), in the Authorization header, as the
// SDKs and the CLI send it. With no keys configured every request is
// accepted, signed or not, as local emulators do.

const sigAlgorithm = "AWS4-HMAC-SHA256"

// maxClockSkew is how far a request's X-Amz-Date may be from our clock.
const maxClockSkew = 15 * time.Minute

// authenticate checks hr's signature over body and returns who signed
// it: the access key id, or with none given the account id.
func (s *Server) authenticate(hr *http.Request, body []byte) (string, error) {
	auth := hr.Header.Get("Authorization")
	if len(s.keys) == 0 {
		if keyID := credentialKey(auth); keyID != "" {
			return keyID, nil
		}
		return s.account, nil
	}
	if auth == "" {
		return "", fail(errMissingAuthToken, "Request is missing Authentication Token")
	}
	sig, err := parseAuthorization(auth)
	if err != nil {
		return "", err
	}
	secret, ok := s.keys[sig.keyID]
	if !ok {
		return "", fail(errInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	amzDate := hr.Header.Get("X-Amz-Date")
	t, perr := time.Parse("20060102T150405Z", amzDate)
	if perr != nil {
		return "", fail(errSignatureDoesNotMatch, "X-Amz-Date is missing or malformed.")
	}
	if d := time.Since(t); d > maxClockSkew || d < -maxClockSkew {
		return "", fail(errSignatureDoesNotMatch, "Signature expired: %s is now earlier than %s.", amzDate, time.Now().Add(-maxClockSkew).UTC().Format("20060102T150405Z"))
	}
	if !strings.HasPrefix(amzDate, sig.date) {
		return "", fail(errSignatureDoesNotMatch, "The credential scope date does not match X-Amz-Date.")
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if h := hr.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payload {
		return "", fail(errSignatureDoesNotMatch, "The provided x-amz-content-sha256 header does not match what was computed.")
	}
	want := signature(secret, sig, amzDate, canonicalRequest(hr, sig.signedHeaders, payload))
	if !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return "", fail(errSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return sig.keyID, nil
}

// sigV4 is a parsed Authorization header.
type sigV4 struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

// credentialKey returns the access key id of an Authorization header, or "".
func credentialKey(auth string) string {
	sig, err := parseAuthorization(auth)
	if err != nil {
		return ""
	}
	return sig.keyID
}

func parseAuthorization(auth string) (sigV4, error) {
	bad := fail(errInvalidSecurity, "Authorization header is not a valid %s signature.", sigAlgorithm)
	rest, ok := strings.CutPrefix(auth, sigAlgorithm+" ")
	if !ok {
		return sigV4{}, bad
	}
	var sig sigV4
	var cred string
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return sigV4{}, bad
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			sig.signedHeaders = strings.Split(v, ";")
		case "Signature":
			sig.signature = v
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" || len(sig.signedHeaders) == 0 || sig.signature == "" {
		return sigV4{}, bad
	}
	sig.keyID, sig.date, sig.region, sig.service = scope[0], scope[1], scope[2], scope[3]
	return sig, nil
}

// canonicalRequest is SigV4's canonical form of hr.
func canonicalRequest(hr *http.Request, signed []string, payload string) string {
	var b strings.Builder
	b.WriteString(hr.Method + "\n")
	path := hr.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path + "\n")
	b.WriteString(canonicalQuery(hr.URL.Query()) + "\n")
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = hr.Host
		case "content-length":
			v = hr.Header.Get("Content-Length")
			if v == "" {
				v = strconv.FormatInt(hr.ContentLength, 10)
			}
		default:
			vs := hr.Header.Values(h)
			for i := range vs {
				vs[i] = strings.Join(strings.Fields(vs[i]), " ")
			}
			v = strings.Join(vs, ",")
		}
		b.WriteString(h + ":" + v + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payload)
	return b.String()
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k)+"="+uriEncode(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode is SigV4's URI encoding: everything but unreserved
// characters percent-encoded in upper case.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// signature computes the hex signature of canonical request creq.
func signature(secret string, sig sigV4, amzDate, creq string) string {
	sum := sha256.Sum256([]byte(creq))
	scope := sig.date + "/" + sig.region + "/" + sig.service + "/aws4_request"
	toSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	k := hmacSHA256([]byte("AWS4"+secret), sig.date)
	k = hmacSHA256(k, sig.region)
	k = hmacSHA256(k, sig.service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
