package sqs

// actions maps each action of the API model to its handler. An action
// not listed answers InvalidAction. It is filled in init, because
// AddPermission checks action names against it.
var actions map[string]handler

func init() {
	actions = map[string]handler{
		"CreateQueue":                  (*Server).createQueue,
		"DeleteQueue":                  (*Server).deleteQueue,
		"GetQueueUrl":                  (*Server).getQueueURL,
		"ListQueues":                   (*Server).listQueues,
		"GetQueueAttributes":           (*Server).getQueueAttributes,
		"SetQueueAttributes":           (*Server).setQueueAttributes,
		"PurgeQueue":                   (*Server).purgeQueue,
		"ListDeadLetterSourceQueues":   (*Server).listDeadLetterSourceQueues,
		"TagQueue":                     (*Server).tagQueue,
		"UntagQueue":                   (*Server).untagQueue,
		"ListQueueTags":                (*Server).listQueueTags,
		"AddPermission":                (*Server).addPermission,
		"RemovePermission":             (*Server).removePermission,
		"SendMessage":                  (*Server).sendMessage,
		"SendMessageBatch":             (*Server).sendMessageBatch,
		"ReceiveMessage":               (*Server).receiveMessage,
		"DeleteMessage":                (*Server).deleteMessage,
		"DeleteMessageBatch":           (*Server).deleteMessageBatch,
		"ChangeMessageVisibility":      (*Server).changeMessageVisibility,
		"ChangeMessageVisibilityBatch": (*Server).changeMessageVisibilityBatch,
		"StartMessageMoveTask":         (*Server).startMessageMoveTask,
		"ListMessageMoveTasks":         (*Server).listMessageMoveTasks,
		"CancelMessageMoveTask":        (*Server).cancelMessageMoveTask,
	}
}
