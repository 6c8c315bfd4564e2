CREATE TABLE `clinicians` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`name` varchar(200) NOT NULL,
	`specialty` varchar(200),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `clinicians_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`title` varchar(200) NOT NULL,
	`description` text,
	`organizer_id` bigint unsigned,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`version` int unsigned NOT NULL DEFAULT 1,
	CONSTRAINT `events_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `medical_records` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`patient_id` bigint unsigned NOT NULL,
	`author_id` bigint unsigned,
	`diagnosis` varchar(2000) NOT NULL,
	`treatment` text,
	`notes` text,
	`status` enum('PENDING','ACTIVE','CLOSED') NOT NULL DEFAULT 'PENDING',
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`version` int unsigned NOT NULL DEFAULT 1,
	CONSTRAINT `medical_records_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `patients` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`name` varchar(200) NOT NULL,
	`email` varchar(320),
	`birth_date` date NOT NULL,
	`is_active` boolean NOT NULL DEFAULT true,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`version` int unsigned NOT NULL DEFAULT 1,
	CONSTRAINT `patients_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`event_id` bigint unsigned NOT NULL,
	`date` date NOT NULL,
	`day` enum('MONDAY','TUESDAY','WEDNESDAY','THURSDAY','FRIDAY','SATURDAY','SUNDAY') NOT NULL,
	`time` time NOT NULL,
	CONSTRAINT `schedules_id` PRIMARY KEY(`id`),
	CONSTRAINT `schedules_event_date_time_uq` UNIQUE(`event_id`,`date`,`time`),
	CONSTRAINT `schedules_id_event_uq` UNIQUE(`id`,`event_id`)
);
--> statement-breakpoint
CREATE TABLE `selections` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`patient_id` bigint unsigned NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`event_id` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `selections_id` PRIMARY KEY(`id`),
	CONSTRAINT `selections_patient_schedule_uq` UNIQUE(`patient_id`,`schedule_id`)
);
--> statement-breakpoint
ALTER TABLE `events` ADD CONSTRAINT `events_organizer_fk` FOREIGN KEY (`organizer_id`) REFERENCES `clinicians`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `medical_records` ADD CONSTRAINT `medical_records_patient_fk` FOREIGN KEY (`patient_id`) REFERENCES `patients`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `medical_records` ADD CONSTRAINT `medical_records_author_fk` FOREIGN KEY (`author_id`) REFERENCES `clinicians`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `schedules` ADD CONSTRAINT `schedules_event_fk` FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `selections` ADD CONSTRAINT `selections_patient_fk` FOREIGN KEY (`patient_id`) REFERENCES `patients`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `selections` ADD CONSTRAINT `selections_schedule_event_fk` FOREIGN KEY (`schedule_id`,`event_id`) REFERENCES `schedules`(`id`,`event_id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `events_created_at_id_idx` ON `events` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `events_organizer_idx` ON `events` (`organizer_id`);--> statement-breakpoint
CREATE INDEX `medical_records_patient_created_at_id_idx` ON `medical_records` (`patient_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `medical_records_patient_status_created_at_id_idx` ON `medical_records` (`patient_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `medical_records_author_idx` ON `medical_records` (`author_id`);--> statement-breakpoint
CREATE INDEX `patients_created_at_id_idx` ON `patients` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `patients_is_active_created_at_id_idx` ON `patients` (`is_active`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `selections_schedule_id_idx` ON `selections` (`schedule_id`,`id`);--> statement-breakpoint
CREATE INDEX `selections_schedule_event_idx` ON `selections` (`schedule_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `selections_event_patient_idx` ON `selections` (`event_id`,`patient_id`);