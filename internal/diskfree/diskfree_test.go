package diskfree

import (
	"runtime"
	"testing"
)

func TestAvailable(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "freebsd" {
		if _, err := Available(t.TempDir()); err != ErrUnsupported {
			t.Fatalf("err %v, want ErrUnsupported", err)
		}
		return
	}
	n, err := Available(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("a temp folder's file system reports no free bytes")
	}
	if _, err := Available(t.TempDir() + "/missing/folder"); err == nil {
		t.Fatal("a missing folder gave no error")
	}
}
