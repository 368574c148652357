// Package message holds what a message is, independent of the protocol
// that carried it: its routing (exchange, routing key), its properties
// (AMQP's basic properties, with SQS attributes mapped onto headers), and
// its body; and the binary form the store keeps.
//
// Headers are an ordered Table of AMQP field values, so that a header
// table a client sent comes back to its consumers byte for byte, whatever
// the types in it. The encoding of tables and properties is AMQP 0-9-1's
// own (spec 4.2.5 and 4.2.6); the AMQP front end reuses it for its content
// headers rather than keeping a second codec.
//
// The stored form of a message is:
//
//	+---------+------------------+--------------------+------------+------+
//	| version | exchange         | routing key        | properties | body |
//	| 1 byte  | shortstr (u8+..) | shortstr (u8+..)   | (AMQP form)| rest |
//	+---------+------------------+--------------------+------------+------+
//
// Version is 1. The body runs to the end of the record, so it needs no
// length of its own.
//
// This package is a leaf: standard library only.
package message
