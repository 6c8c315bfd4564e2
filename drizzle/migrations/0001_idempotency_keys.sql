CREATE TABLE `idempotency_keys` (
	`scope` varchar(255) NOT NULL,
	`idempotency_key` varchar(255) NOT NULL,
	`fingerprint` varchar(64) NOT NULL,
	`status` enum('running','done') NOT NULL,
	`response` mediumtext,
	`expires_at` datetime(3) NOT NULL,
	CONSTRAINT `idempotency_keys_pk` PRIMARY KEY(`scope`,`idempotency_key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_at_idx` ON `idempotency_keys` (`expires_at`);