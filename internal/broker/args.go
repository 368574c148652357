package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// canonicalArgs returns args in the form they take after a trip through
// meta (JSON, numbers as json.Number), so that a queue declared now and
// one loaded after a restart compare equal when declared alike: an AMQP
// client's int32 5 and the stored 5 are the same argument. nil and empty
// are the same too. It fails for values JSON cannot hold.
func canonicalArgs(args map[string]any) (map[string]any, error) {
	if len(args) == 0 {
		return nil, nil
	}
	data, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("queue arguments: %w", err)
	}
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("queue arguments: %w", err)
	}
	return out, nil
}

// argsKey returns the canonical encoding of canonical args, for comparing.
func argsKey(args map[string]any) string {
	if len(args) == 0 {
		return "null"
	}
	data, err := json.Marshal(args) // cannot fail: args came from JSON
	if err != nil {
		return "!" + err.Error()
	}
	return string(data)
}
