package sqs

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ferrymq/ferry/internal/broker"
)

// apiError is an error an action answers with: the SQS error shape it
// names, the legacy query-protocol code, the HTTP status and a message for
// the client. Every error a client can cause is one of these; anything
// else becomes InternalError (500).
type apiError struct {
	shape  string // JSON protocol __type (the API model's error shape, or the query code for unmodelled errors)
	code   string // query protocol <Code> and x-amzn-query-error
	status int
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// errKind is one SQS error: shape, query code and status, as the API
// model (specs/sqs-2012-11-05.json, aws.protocols#awsQueryError) gives
// them; errors the model does not list are SQS's common errors.
type errKind struct {
	shape, code string
	status      int
}

var (
	errQueueDoesNotExist     = errKind{"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400}
	errQueueNameExists       = errKind{"QueueNameExists", "QueueAlreadyExists", 400}
	errReceiptHandleInvalid  = errKind{"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404}
	errMessageNotInflight    = errKind{"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400}
	errTooManyEntries        = errKind{"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400}
	errEmptyBatch            = errKind{"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400}
	errBatchIDsNotDistinct   = errKind{"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400}
	errInvalidBatchEntryID   = errKind{"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400}
	errBatchRequestTooLong   = errKind{"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400}
	errUnsupportedOperation  = errKind{"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400}
	errPurgeInProgress       = errKind{"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403}
	errInvalidAttributeName  = errKind{"InvalidAttributeName", "InvalidAttributeName", 400}
	errInvalidAttributeValue = errKind{"InvalidAttributeValue", "InvalidAttributeValue", 400}
	errInvalidMessage        = errKind{"InvalidMessageContents", "InvalidMessageContents", 400}
	errResourceNotFound      = errKind{"ResourceNotFoundException", "ResourceNotFoundException", 404}
	errInvalidParameterValue = errKind{"InvalidParameterValue", "InvalidParameterValue", 400}
	errMissingParameter      = errKind{"MissingParameter", "MissingParameter", 400}
	errInvalidAction         = errKind{"InvalidAction", "InvalidAction", 400}
	errInvalidSecurity       = errKind{"InvalidSecurity", "InvalidSecurity", 403}
	errSignatureDoesNotMatch = errKind{"SignatureDoesNotMatch", "SignatureDoesNotMatch", 403}
	errInvalidClientTokenID  = errKind{"InvalidClientTokenId", "InvalidClientTokenId", 403}
	errMissingAuthToken      = errKind{"MissingAuthenticationToken", "MissingAuthenticationToken", 403}
	errInternal              = errKind{"InternalError", "InternalError", 500}
	errMalformedQueryString  = errKind{"MalformedQueryString", "MalformedQueryString", 400}
	errSerialization         = errKind{"SerializationException", "SerializationException", 400}
)

// fail builds an apiError of kind k.
func fail(k errKind, format string, a ...any) *apiError {
	return &apiError{shape: k.shape, code: k.code, status: k.status, msg: fmt.Sprintf(format, a...)}
}

// invalid is the most common answer: InvalidParameterValue.
func invalid(format string, a ...any) *apiError { return fail(errInvalidParameterValue, format, a...) }

// missing is MissingParameter for parameter name.
func missing(name string) *apiError {
	return fail(errMissingParameter, "The request must contain the parameter %s.", name)
}

// noQueue is QueueDoesNotExist.
func noQueue() *apiError {
	return fail(errQueueDoesNotExist, "The specified queue does not exist.")
}

// toAPIError maps any error an action returns to the error the client
// gets: apiErrors as they are, broker errors by code (the one place where
// broker codes become SQS codes), anything else as InternalError.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	switch broker.CodeOf(err) {
	case broker.NotFound:
		return noQueue()
	case broker.InvalidArgument, broker.PreconditionFailed, broker.AccessRefused, broker.NotAllowed:
		return invalid("%s", err.Error())
	case broker.CommandInvalid:
		return fail(errUnsupportedOperation, "%s", err.Error())
	}
	return &apiError{shape: errInternal.shape, code: errInternal.code, status: http.StatusInternalServerError, msg: err.Error()}
}
