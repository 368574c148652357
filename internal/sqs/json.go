package sqs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The JSON protocol (awsJson1_0): POST / with X-Amz-Target
// "AmazonSQS.<Action>" and a JSON object of the action's input members;
// the answer is a JSON object of its output members, or for an error
// {"__type": shape, "message": text} with the x-amzn-query-error header
// "<query code>;Sender" that query-compatible SDKs read the legacy error
// code from.

const jsonTargetPrefix = "AmazonSQS."

// decodeJSONRequest reads a JSON protocol request. Numbers stay
// json.Number, so that integers are read exactly.
func decodeJSONRequest(target string, body []byte) (string, map[string]any, error) {
	action, ok := strings.CutPrefix(target, jsonTargetPrefix)
	if !ok || action == "" {
		return "", nil, fail(errInvalidAction, "X-Amz-Target %q does not name an AmazonSQS action", target)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return action, map[string]any{}, nil
	}
	v, err := parseJSONValue(body)
	if err != nil {
		return action, nil, fail(errSerialization, "the request body is not a JSON object: %v", err)
	}
	switch v := v.(type) {
	case map[string]any:
		return action, v, nil
	case nil:
		return action, map[string]any{}, nil
	}
	return action, nil, fail(errSerialization, "the request body is not a JSON object: it is a JSON %s", jsonKind(v))
}

// jsonKind names the kind of a decoded JSON value, for errors.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}

func writeJSON(w http.ResponseWriter, res map[string]any, reqID string) {
	if res == nil {
		res = map[string]any{}
	}
	buf := getBuffer()
	defer putBuffer(buf)
	data, err := appendJSON(*buf, res)
	*buf = data[:0]
	if err != nil {
		writeJSONError(w, &apiError{shape: errInternal.shape, code: errInternal.code, status: 500, msg: err.Error()}, reqID)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-RequestId", reqID)
	// With its length given, net/http writes the answer in one piece
	// instead of chunking what passes its 4 KiB buffer.
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func writeJSONError(w http.ResponseWriter, e *apiError, reqID string) {
	shape := e.shape
	if !strings.Contains(shape, ".") {
		shape = "com.amazonaws.sqs#" + shape
	}
	data, _ := json.Marshal(map[string]string{"__type": shape, "message": e.msg})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-RequestId", reqID)
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	h.Set("x-amzn-query-error", e.code+";"+fault)
	w.WriteHeader(e.status)
	w.Write(data)
}
