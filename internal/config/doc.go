// Package config owns the settings of one Ferry node: what they are, their
// defaults, what values are valid, and where a value may come from.
//
// # Precedence
//
// Every setting has a key (its flag name, such as "sync-interval") and may
// be given in four places. The first one that gives it wins:
//
//  1. a command-line flag: --sync-interval=50ms (or -sync-interval 50ms);
//  2. an environment variable: FERRY_ and the key in upper case with "-"
//     turned into "_", such as FERRY_SYNC_INTERVAL=50ms. An empty variable
//     counts as unset;
//  3. the config file named by --config or FERRY_CONFIG, if any;
//  4. the default (see Default).
//
// # Config file
//
// The file is a list of "key = value" lines, where keys are the flag names
// without dashes in front:
//
//	# /etc/ferry/ferry.conf
//	data-dir = "/var/lib/ferry"
//	sync = interval       # flush at most every sync-interval
//	sync-interval = 50ms
//
// Blank lines and lines starting with # are ignored. A value may be written
// bare or in double quotes with Go/TOML escapes; a bare value ends at a #
// that follows a space or tab, so "sync = none # fast" sets "none". A file
// of top-level TOML string keys is therefore a valid config file, but
// tables ([section]), arrays and multi-line strings are not accepted. An
// unknown key, a key given twice or a line without "=" is an error that
// names the file and line: a typo must not silently fall back to a default.
// Relative paths in the file are relative to the working directory of
// ferry, as they are on the command line.
//
// # Why the standard flag package
//
// Ferry has three subcommands and a dozen flat settings, which the standard
// flag package covers; cobra and pflag would add two modules (and
// their own precedence rules to reconcile with ours) for help formatting we
// can write in a page. The flag package also accepts both -flag and --flag.
// Keeping this package on the standard library matches the project's
// dependency rule that config imports nothing outside it.
//
// # Errors
//
// A bad value is reported as a *SettingError naming the key and where the
// value came from (flag, environment variable, or file and line). Load
// reports every bad setting at once, joined with errors.Join, so that a
// user fixes a file in one pass.
package config
