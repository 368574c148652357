package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// fileEntry is one "key = value" line of a config file.
type fileEntry struct {
	line  int
	key   string
	value string
}

// parseFile splits a config file into entries. It checks syntax only (see
// the package doc for the format); whether keys and values make sense is
// up to the caller. Errors name the line but not the file, which the
// caller adds.
func parseFile(data string) ([]fileEntry, []*lineError) {
	var entries []fileEntry
	var errs []*lineError
	first := map[string]int{} // key → line it was first set on
	data = strings.TrimPrefix(data, "\uFEFF")
	for i, raw := range strings.Split(data, "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			errs = append(errs, &lineError{line: n, key: e.key, err: err})
			continue
		}
		if prev, dup := first[e.key]; dup {
			errs = append(errs, &lineError{line: n, key: e.key, err: fmt.Errorf("set twice (first on line %d)", prev)})
			continue
		}
		first[e.key] = n
		e.line = n
		entries = append(entries, e)
	}
	return entries, errs
}

// lineError is a syntax error on one line of a config file.
type lineError struct {
	line int
	key  string // as far as it could be read; may be empty
	err  error
}

// parseLine reads one non-blank, non-comment line.
func parseLine(line string) (fileEntry, error) {
	if strings.HasPrefix(line, "[") {
		return fileEntry{}, errors.New("sections ([name]) are not supported; write key = value lines")
	}
	k, v, ok := strings.Cut(line, "=")
	if !ok {
		return fileEntry{}, fmt.Errorf("want key = value, got %q", line)
	}
	e := fileEntry{key: strings.TrimSpace(k)}
	if e.key == "" {
		return e, errors.New("missing key before =")
	}
	value, err := parseValue(strings.TrimSpace(v))
	if err != nil {
		return e, err
	}
	e.value = value
	return e, nil
}

// parseValue reads a quoted or bare value, dropping a trailing comment.
func parseValue(v string) (string, error) {
	if strings.HasPrefix(v, `"`) {
		q, err := strconv.QuotedPrefix(v)
		if err != nil {
			return "", fmt.Errorf("unterminated or malformed quoted value %s", v)
		}
		rest := strings.TrimSpace(v[len(q):])
		if rest != "" && rest[0] != '#' {
			return "", fmt.Errorf("unexpected %q after quoted value", rest)
		}
		s, err := strconv.Unquote(q)
		if err != nil {
			return "", fmt.Errorf("malformed quoted value %s", q)
		}
		return s, nil
	}
	if v == "" || v[0] == '#' {
		return "", errors.New("missing value after = (delete the line to use the default)")
	}
	return cutComment(v), nil
}

// cutComment removes a comment that starts with a # following a space or
// tab. A # inside a bare word (a path like /data/#1) is kept.
func cutComment(v string) string {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			return strings.TrimSpace(v[:i])
		}
	}
	return v
}
