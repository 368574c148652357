package main

import (
	"testing"

	"github.com/ferrymq/ferry/internal/amqp"
	"github.com/ferrymq/ferry/internal/config"
)

// TestAMQPFlowFromConfig: the resource alarm settings reach the AMQP
// server as they were given: a percentage as a fraction, a size as bytes,
// 0 as off.
func TestAMQPFlowFromConfig(t *testing.T) {
	c := config.Default()
	c.DataDir = "/var/lib/ferry"
	if got, want := amqpFlow(c), (amqp.FlowConfig{MemoryHighWatermarkFraction: 0.4, DiskFreeLimit: 50 << 20, DataDir: "/var/lib/ferry"}); got != want {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}
	c.MemoryHighWatermark = config.MemoryWatermark{Bytes: 2 << 30}
	c.DiskFreeLimit = 0
	if got, want := amqpFlow(c), (amqp.FlowConfig{MemoryHighWatermark: 2 << 30, DataDir: "/var/lib/ferry"}); got != want {
		t.Errorf("sizes: %+v, want %+v", got, want)
	}
}
