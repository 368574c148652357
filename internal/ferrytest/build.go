package ferrytest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// MainPackage is the import path of the ferry command.
const MainPackage = "github.com/ferrymq/ferry/cmd/ferry"

// Build compiles the ferry command into dir and returns the binary's path.
// ldflags, if not empty, is passed to the linker (for -X main.version=...).
// When the calling test binary was built with -race, so is ferry, so that
// races in the binary fail the tests that run it.
//
// Build is meant for TestMain, which has no *testing.T; it runs the go
// command found on PATH from the current directory, which must be inside
// the module.
func Build(dir, ldflags string) (string, error) {
	bin := filepath.Join(dir, "ferry")
	args := []string{"build", "-o", bin, "-buildvcs=false"}
	if RaceEnabled {
		args = append(args, "-race")
	}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	args = append(args, MainPackage)
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %v: %w", args, err)
	}
	return bin, nil
}
