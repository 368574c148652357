package config

import (
	"errors"
	"log/slog"
	"time"
)

// Config holds every setting of a single Ferry node. The zero value is not
// useful; start from Default or Load.
type Config struct {
	// DataDir is the folder that holds queues, metadata and the LOCK file.
	DataDir string
	// Sync is when appended messages are fsynced: "always" (before a
	// publish is confirmed), "interval" (at most SyncInterval later) or
	// "none" (when the operating system decides). It is kept as text here
	// and turned into a segment.SyncMode by cmd/ferry, because config
	// imports only the standard library.
	Sync string
	// SyncInterval is how long sync=interval may leave data unsynced.
	SyncInterval time.Duration
	// SegmentSize is the size in bytes at which a queue's log starts a new
	// segment file.
	SegmentSize int64
	// Preallocate has each busy queue log make its next segment file in
	// full before it is needed (reusing a removed segment's file, or
	// writing zeros), so that fsyncs write only data, not the file's
	// growing size: faster confirms for one spare file per busy queue.
	Preallocate bool
	// AMQPListen, SQSListen and AdminListen are the host:port addresses
	// the front ends listen on. Port 0 picks a free port.
	AMQPListen  string
	SQSListen   string
	AdminListen string
	// SQSAccountID is the account id in SQS queue URLs and ARNs.
	SQSAccountID string
	// SQSAccessKeys are the access keys the SQS front end checks SigV4
	// signatures against, as "ID:SECRET" pairs separated by commas; ""
	// accepts any credentials, as local SQS emulators do.
	SQSAccessKeys string
	// PoliciesFile names a JSON file of policies that give delivery rules
	// (retries, dead-lettering, TTL, limits) to queues matched by name;
	// "" for none. See README "Policies".
	PoliciesFile string
	// LogFormat is "text" (readable, the default) or "json".
	LogFormat string
	// LogLevel is the least severe level that is logged.
	LogLevel slog.Level
	// ShutdownTimeout bounds how long a clean shutdown may take before the
	// process gives up and exits with an error.
	ShutdownTimeout time.Duration
	// MemoryHighWatermark is the memory the broker may hold before its
	// memory alarm blocks publishers (RabbitMQ's vm_memory_high_watermark);
	// see MemoryWatermark. Off when zero.
	MemoryHighWatermark MemoryWatermark
	// DiskFreeLimit is the free space in bytes on DataDir's file system
	// below which the disk alarm blocks publishers (RabbitMQ's
	// disk_free_limit). 0 switches the disk alarm off.
	DiskFreeLimit int64

	// MetricsMaxQueues caps the queues that get series of their own in
	// the admin front end's /metrics; the rest are summed under
	// queue="_other", so that cardinality stays bounded.
	MetricsMaxQueues int

	// History bounds message history (queues with x-history): events
	// kept per message, histories kept, and how long a finished one is
	// kept. See history.go.
	HistoryMaxEvents   int
	HistoryMaxMessages int
	HistoryRetention   time.Duration
	// OTLPEndpoint is the OTLP/HTTP endpoint that publish, deliver, ack
	// and dead-letter spans are exported to; "" exports none.
	OTLPEndpoint string

	// File is the config file the settings were read from, or "" if none.
	// Load sets it; it is a record of where settings came from, not a
	// setting.
	File string
}

// Sync modes, as written in settings.
const (
	SyncAlways   = "always"
	SyncInterval = "interval"
	SyncNone     = "none"
)

// Log formats, as written in settings.
const (
	LogText = "text"
	LogJSON = "json"
)

// Bounds on SegmentSize. Smaller segments would mean a file per handful of
// messages; larger ones would make compaction copy too much at once.
const (
	MinSegmentSize = 64 << 10
	MaxSegmentSize = 1 << 30
)

// Default returns the settings a new user meets: data in ./ferry-data,
// every message fsynced before it is confirmed, standard ports, readable
// logs at info level, and RabbitMQ's resource alarms: publishers are
// blocked above 40% of memory or below 50MiB of free disk.
func Default() Config {
	return Config{
		DataDir:         "./ferry-data",
		Sync:            SyncAlways,
		SyncInterval:    100 * time.Millisecond,
		SegmentSize:     64 << 20,
		Preallocate:     true,
		AMQPListen:      ":5672",
		SQSListen:       ":9324",
		AdminListen:     "127.0.0.1:15672",
		SQSAccountID:    "000000000000",
		LogFormat:       LogText,
		LogLevel:        slog.LevelInfo,
		ShutdownTimeout: 30 * time.Second,

		MemoryHighWatermark: MemoryWatermark{Percent: DefaultMemoryHighWatermarkPercent},
		DiskFreeLimit:       DefaultDiskFreeLimit,
		MetricsMaxQueues:    1000,

		HistoryMaxEvents:   32,
		HistoryMaxMessages: 100_000,
		HistoryRetention:   24 * time.Hour,
	}
}

// Resource alarm defaults, RabbitMQ's: vm_memory_high_watermark 0.4 and
// disk_free_limit 50MB.
const (
	DefaultMemoryHighWatermarkPercent = 40
	DefaultDiskFreeLimit              = 50 << 20
)

// Validate reports every setting of c that is out of range, each as a
// *SettingError naming its key, joined with errors.Join. It returns nil if
// c is usable.
func (c Config) Validate() error {
	errs := c.problems()
	if len(errs) == 0 {
		return nil
	}
	return joinSettingErrors(errs)
}

// problems checks each setting through its validate function, so that the
// checks live beside the setting they belong to (settings.go).
func (c Config) problems() []*SettingError {
	var errs []*SettingError
	for _, s := range settings {
		if s.validate == nil {
			continue
		}
		if err := s.validate(&c); err != nil {
			errs = append(errs, &SettingError{Key: s.key, Err: err})
		}
	}
	return errs
}

func joinSettingErrors(errs []*SettingError) error {
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}
