package config

import (
	"errors"
	"fmt"
	"strings"
)

// checkAccountID accepts an SQS account id: 12 digits.
func checkAccountID(v string) error {
	if len(v) != 12 || strings.Trim(v, "0123456789") != "" {
		return fmt.Errorf("%q is not a 12-digit account id", v)
	}
	return nil
}

// ParseAccessKeys reads the sqs-access-keys setting, "ID:SECRET" pairs
// separated by commas, into a map of access key id to secret. "" gives
// an empty map.
func ParseAccessKeys(v string) (map[string]string, error) {
	keys := map[string]string{}
	if strings.TrimSpace(v) == "" {
		return keys, nil
	}
	for _, pair := range strings.Split(v, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(pair), ":")
		switch {
		case !ok || id == "" || secret == "":
			return nil, errors.New("each access key must be written ID:SECRET, separated by commas")
		case keys[id] != "":
			return nil, fmt.Errorf("access key %q is given twice", id)
		}
		keys[id] = secret
	}
	return keys, nil
}

// redactKeys writes access keys with their secrets hidden, for help and
// the start-up log.
func redactKeys(v string) string {
	keys, err := ParseAccessKeys(v)
	if err != nil || len(keys) == 0 {
		if err != nil {
			return "(invalid)"
		}
		return ""
	}
	ids := make([]string, 0, len(keys))
	for _, pair := range strings.Split(v, ",") {
		id, _, _ := strings.Cut(strings.TrimSpace(pair), ":")
		ids = append(ids, id+":***")
	}
	return strings.Join(ids, ",")
}
