"""The running gateway: runtime, the inbound pipeline, mailboxes, the scheduler, retention."""
