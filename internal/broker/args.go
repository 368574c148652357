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
