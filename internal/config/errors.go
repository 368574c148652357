package config

import "fmt"

// SettingError reports a setting whose value is unusable or whose key is
// unknown.
type SettingError struct {
	// Key is the setting's key, such as "sync-interval", or the unknown
	// key as written.
	Key string
	// Source says where the value came from: "flag --sync",
	// "environment variable FERRY_SYNC", "config file ferry.conf line 3",
	// or "default". It is empty when the error comes from Validate on a
	// Config built in code.
	Source string
	// Err is what was wrong with it.
	Err error
}

func (e *SettingError) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("%s: %v", e.Key, e.Err)
	}
	return fmt.Sprintf("%s (from %s): %v", e.Key, e.Source, e.Err)
}

func (e *SettingError) Unwrap() error { return e.Err }

// Sources, as SettingError.Source spells them.
func flagSource(key string) string { return "flag --" + key }
func envSource(name string) string { return "environment variable " + name }
func fileSource(path string, line int) string {
	return fmt.Sprintf("config file %s line %d", path, line)
}

const defaultSource = "default"
