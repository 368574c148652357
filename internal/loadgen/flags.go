package loadgen

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// RegisterFlags defines one flag per Config setting on fs and returns the
// Config they fill, starting from Defaults. After fs.Parse, pass the
// Config to Run. Names follow PerfTest's meanings in long form.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := Defaults()
	fs.StringVar(&c.Protocol, "protocol", c.Protocol, "`protocol`: amqp, sqs-json (AWS SDK) or sqs-query (form POSTs, XML)")
	fs.StringVar(&c.Client, "client", c.Client, "AMQP `client`: lean (the load tool's own, light on CPU) or amqp091 (github.com/rabbitmq/amqp091-go; also amqps://)")
	fs.StringVar(&c.URL, "url", c.URL, "broker `URI`; for SQS the endpoint http://host:port (default "+DefaultSQSURL+"), KEY:SECRET@ to sign with")
	fs.StringVar(&c.Queue, "queue", c.Queue, "queue `name`; empty for a server-named queue, deleted afterwards")
	fs.BoolVar(&c.FreshQueue, "fresh-queue", c.FreshQueue, "use a new queue <queue>-<run id> and delete it afterwards")
	fs.BoolVar(&c.Durable, "durable", c.Durable, "declare the queue durable")
	fs.StringVar(&c.QueueType, "queue-type", c.QueueType, "x-queue-type of the queue (classic, quorum); empty: the broker's default")
	fs.IntVar(&c.Producers, "producers", c.Producers, "number of producers, each on its own connection")
	fs.IntVar(&c.Consumers, "consumers", c.Consumers, "number of consumers, each on its own connection")
	fs.Var((*sizeFlag)(&c.Size), "size", "message body `size`: bytes, or with a unit (512B, 1KiB, 4k, 1MiB); 32 at least")
	fs.BoolVar(&c.Persistent, "persistent", c.Persistent, "publish persistent messages (delivery mode 2)")
	fs.IntVar(&c.ConfirmWindow, "confirm", c.ConfirmWindow, "publisher confirms: at most `N` unconfirmed per producer; 0 turns confirms off")
	fs.IntVar(&c.Batch, "batch", c.Batch, "SQS: entries per SendMessageBatch and MaxNumberOfMessages per ReceiveMessage, 1 to 10")
	fs.IntVar(&c.WaitSeconds, "wait-seconds", c.WaitSeconds, "SQS: WaitTimeSeconds of each ReceiveMessage (long polling), 1 to 20")
	fs.IntVar(&c.Prefetch, "prefetch", c.Prefetch, "consumer prefetch (basic.qos); 0 is unlimited")
	fs.BoolVar(&c.AutoAck, "auto-ack", c.AutoAck, "consume without acknowledgements (at-most-once)")
	fs.IntVar(&c.AckEvery, "multi-ack", c.AckEvery, "acknowledge every `N` deliveries at once (multiple=true); 1 acks each")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "total publish rate in messages/s, shared by the producers; 0 is as fast as possible")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "how long to publish after the warm-up; 0: until -count")
	fs.Uint64Var(&c.Count, "count", c.Count, "total messages to publish, shared by the producers; 0: no limit")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "publish this long before measuring")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.DrainTimeout, "longest wait for confirms, then for consumers to catch up")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "log progress this often; 0 is quiet")
	fs.BoolVar(&c.JSON, "json", c.JSON, "print the result as JSON")
	fs.StringVar(&c.Scenario, "scenario", c.Scenario, "label for the result (for comparison tables)")
	fs.StringVar(&c.Broker, "broker", c.Broker, "label naming the broker (for comparison tables)")
	return &c
}

// sizeFlag reads a byte size with an optional unit: 1024, 512B, 1KiB, 4k,
// 1MiB, 2m. k and M are binary here (1024), as message sizes usually are.
type sizeFlag int

func (s *sizeFlag) String() string { return strconv.Itoa(int(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

func parseSize(v string) (int, error) {
	units := []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"k", 1 << 10}, {"K", 1 << 10}, {"m", 1 << 20}, {"M", 1 << 20}, {"B", 1}}
	num, mult := strings.TrimSpace(v), 1
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > (1<<31)/mult {
		return 0, fmt.Errorf("size %q: want a byte count such as 1024, 1KiB or 1MiB", v)
	}
	return n * mult, nil
}
