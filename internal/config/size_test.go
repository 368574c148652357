package config

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"65536", 65536, true},
		{"64KiB", 64 << 10, true},
		{"64MiB", 64 << 20, true},
		{"64 MiB", 64 << 20, true},
		{"1GiB", 1 << 30, true},
		{"100B", 100, true},
		{"64MB", 0, false},
		{"64M", 0, false},
		{"1.5GiB", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{"MiB", 0, false},
		{"9223372036854775807GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 100: "100", 1024: "1KiB", 64 << 20: "64MiB", 1<<30 + 1024: "1048577KiB", 3 << 30: "3GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzSizeRoundTrip(f *testing.F) {
	for _, n := range []int64{0, 1, 1023, 1024, 64 << 20, 1<<63 - 1} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		if n < 0 {
			return
		}
		got, err := ParseSize(FormatSize(n))
		if err != nil || got != n {
			t.Fatalf("ParseSize(FormatSize(%d)) = %d, %v", n, got, err)
		}
	})
}
