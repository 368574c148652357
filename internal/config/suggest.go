package config

import (
	"errors"
	"fmt"
	"strings"
)

// unknownKeyError says a key is unknown and, if one is close, which key
// was probably meant.
func unknownKeyError(key string) error {
	if s := suggest(key, allKeys()); s != "" {
		return fmt.Errorf("unknown key (did you mean %q?)", s)
	}
	return errors.New("unknown key (see ferry help serve for the list)")
}

// suggest returns the candidate closest to word if it is close enough to
// be a likely typo (at most two edits, counting _ for - as none), or "".
func suggest(word string, candidates []string) string {
	word = strings.ReplaceAll(strings.ToLower(word), "_", "-")
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
