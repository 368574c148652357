package config

import (
	"fmt"
	"io"
)

// Usage writes the settings of "ferry serve" to w: flag, environment
// variable, default and meaning of each, and the order of precedence.
func Usage(w io.Writer) {
	d := Default()
	type row struct{ flag, env, def, usage string }
	rows := []row{{"--" + configKey + " FILE", configEnv, "(none)",
		`config file of "key = value" lines; keys are the flag names`}}
	for _, s := range settings {
		rows = append(rows, row{"--" + s.key + " " + s.arg, s.env(), s.get(&d), s.usage})
	}
	fw, ew := 0, 0
	for _, r := range rows {
		fw, ew = max(fw, len(r.flag)), max(ew, len(r.env))
	}
	fmt.Fprintln(w, "Settings: a flag beats a FERRY_* variable, which beats the config file, which beats the default.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-*s  %-*s  %s\n", fw, "FLAG", ew, "ENVIRONMENT", "DEFAULT")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %-*s  %s\n      %s\n", fw, r.flag, ew, r.env, r.def, r.usage)
	}
}
