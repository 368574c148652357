//go:build !unix

package amqp

import "errors"

var errTooManyFiles = errors.New("no such error on this platform")
