package config

import "testing"

func TestParseAccessKeys(t *testing.T) {
	keys, err := ParseAccessKeys("AK1:s1, AK2:s:2")
	if err != nil || len(keys) != 2 || keys["AK1"] != "s1" || keys["AK2"] != "s:2" {
		t.Fatalf("ParseAccessKeys = %v, %v", keys, err)
	}
	for _, bad := range []string{"AK1", ":s", "AK1:", "A:1,A:2"} {
		if _, err := ParseAccessKeys(bad); err == nil {
			t.Errorf("ParseAccessKeys(%q) accepted", bad)
		}
	}
	if got := redactKeys("AK1:s1,AK2:s2"); got != "AK1:***,AK2:***" {
		t.Errorf("redactKeys = %q", got)
	}
	for _, bad := range []string{"12345678901", "12345678901a", ""} {
		if checkAccountID(bad) == nil {
			t.Errorf("checkAccountID(%q) accepted", bad)
		}
	}
}
