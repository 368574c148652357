package message

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteDecodeCorpus refreshes the checked-in seed corpus of FuzzDecode
// from real encodings when FERRY_WRITE_CORPUS=1; otherwise it only checks
// that every seed file is there.
func TestWriteDecodeCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	full, _ := Encode(fullMessage())
	empty, _ := Encode(&Message{})
	body, _ := Encode(&Message{RoutingKey: "work", Body: []byte("hello"), Properties: Properties{Flags: FlagDeliveryMode, DeliveryMode: Persistent}})
	seeds := [][]byte{full, empty, body, full[:len(full)/2], {1, 0, 0, 0, 3}}
	for i, s := range seeds {
		path := filepath.Join(dir, fmt.Sprintf("seed%d", i+1))
		if os.Getenv("FERRY_WRITE_CORPUS") == "1" {
			if err := os.WriteFile(path, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed corpus file missing: %v", err)
		}
	}
}
