package config

import (
	"strings"
	"testing"
)

func TestParseMemoryWatermark(t *testing.T) {
	tests := []struct {
		in   string
		want MemoryWatermark
		text string // String() of the result
	}{
		{"40%", MemoryWatermark{Percent: 40}, "40%"},
		{" 37.5 % ", MemoryWatermark{Percent: 37.5}, "37.5%"},
		{"100%", MemoryWatermark{Percent: 100}, "100%"},
		{"0%", MemoryWatermark{}, "0"},
		{"0", MemoryWatermark{}, "0"},
		{"2GiB", MemoryWatermark{Bytes: 2 << 30}, "2GiB"},
		{"1000", MemoryWatermark{Bytes: 1000}, "1000"},
	}
	for _, tt := range tests {
		got, err := ParseMemoryWatermark(tt.in)
		if err != nil {
			t.Errorf("ParseMemoryWatermark(%q) = %v", tt.in, err)
			continue
		}
		if got != tt.want || got.String() != tt.text {
			t.Errorf("ParseMemoryWatermark(%q) = %+v (%s), want %+v (%s)", tt.in, got, got, tt.want, tt.text)
		}
		if got.Off() != (tt.text == "0") {
			t.Errorf("%q: Off() = %v", tt.in, got.Off())
		}
	}
}

func TestParseMemoryWatermarkRejects(t *testing.T) {
	for in, msg := range map[string]string{
		"101%":  "out of range",
		"-5%":   "out of range",
		"NaN%":  "out of range",
		"lots%": "invalid percentage",
		"0.4":   "invalid memory watermark",
		"2GB":   "invalid memory watermark",
		"-1":    "invalid memory watermark",
	} {
		_, err := ParseMemoryWatermark(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseMemoryWatermark(%q) = %v, want an error mentioning %q", in, err, msg)
		}
	}
}

func TestLoadWatermarks(t *testing.T) {
	c, err := Load([]string{"--memory-high-watermark=25%"}, []string{"FERRY_DISK_FREE_LIMIT=2GiB"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MemoryHighWatermark != (MemoryWatermark{Percent: 25}) || c.DiskFreeLimit != 2<<30 {
		t.Fatalf("MemoryHighWatermark, DiskFreeLimit = %v, %d", c.MemoryHighWatermark, c.DiskFreeLimit)
	}
	_, err = Load([]string{"--memory-high-watermark=140%"}, nil)
	if err == nil || !strings.Contains(err.Error(), "memory-high-watermark (from flag --memory-high-watermark): 140% is out of range") {
		t.Fatalf("Load with 140%% = %v", err)
	}
}
