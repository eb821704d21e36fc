-- A Minuted database at schema revision cecb74f5232f (the first), with one of everything.
-- Made by loading sample data through the API; the migration test upgrades it to head.
BEGIN TRANSACTION;
CREATE TABLE agenda_item (
	id VARCHAR(36) NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	position INTEGER NOT NULL, 
	title VARCHAR(300) NOT NULL, 
	detail TEXT, 
	outcome_sought TEXT, 
	parked BOOLEAN NOT NULL, 
	provision_id VARCHAR(36), 
	target_id VARCHAR(36), 
	outcome VARCHAR(20), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_agenda_item PRIMARY KEY (id), 
	CONSTRAINT fk_agenda_item_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT fk_agenda_item_provision_id_provision FOREIGN KEY(provision_id) REFERENCES provision (id) ON DELETE SET NULL, 
	CONSTRAINT fk_agenda_item_target_id_target FOREIGN KEY(target_id) REFERENCES target (id) ON DELETE SET NULL
);
INSERT INTO "agenda_item" VALUES('31c7b4aa91424adc97df56ea03df10be','1bb7ceb0a7ce49d5ac309be106425ca4',0,'Reading support','Since September it has stopped.',NULL,0,'981b1311ebcf47549270e34661c7fe7b',NULL,NULL,'2026-11-23 15:00:25.435762');
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('cecb74f5232f');
CREATE TABLE api_token (
	id INTEGER NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	name VARCHAR(120), 
	created_at DATETIME NOT NULL, 
	last_used_at DATETIME, 
	CONSTRAINT pk_api_token PRIMARY KEY (id), 
	CONSTRAINT fk_api_token_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE, 
	CONSTRAINT uq_api_token_token_hash UNIQUE (token_hash)
);
INSERT INTO "api_token" VALUES(1,'bcd627cd9d3d42ae804d48103fe67e08','58020048848c685b91d9ddf1149c1fd7cc33a564cbb237ad5ff7a8a00072b1ca',NULL,'2026-11-23 15:00:25.382830','2026-11-23 15:00:25.439994');
CREATE TABLE attendee (
	id VARCHAR(36) NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	role VARCHAR(60) NOT NULL, 
	organisation VARCHAR(200), 
	email VARCHAR(254), 
	attendance VARCHAR(20) NOT NULL, 
	report_submitted DATE, 
	position INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_attendee PRIMARY KEY (id), 
	CONSTRAINT fk_attendee_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE
);
INSERT INTO "attendee" VALUES('c2ee2461828644cc9b0bff95ea8b1a50','1bb7ceb0a7ce49d5ac309be106425ca4','Ms Khan','senco','Oak Primary',NULL,'expected',NULL,0,'2026-11-23 15:00:25.416756');
CREATE TABLE child (
	id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	school VARCHAR(200), 
	year_group VARCHAR(40), 
	plan_type VARCHAR(20) NOT NULL, 
	jurisdiction VARCHAR(20) NOT NULL, 
	plan_date DATE, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_child PRIMARY KEY (id), 
	CONSTRAINT fk_child_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE
);
INSERT INTO "child" VALUES('644d1671047e4b9c9e6606663b010da7','bcd627cd9d3d42ae804d48103fe67e08','S.J.','Oak Primary',NULL,'ehcp','england',NULL,'2026-11-23 15:00:25.391163');
CREATE TABLE chunk (
	id INTEGER NOT NULL, 
	recording_id VARCHAR(36) NOT NULL, 
	seq INTEGER NOT NULL, 
	size INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	path VARCHAR(500) NOT NULL, 
	received_at DATETIME NOT NULL, 
	CONSTRAINT pk_chunk PRIMARY KEY (id), 
	CONSTRAINT fk_chunk_recording_id_recording FOREIGN KEY(recording_id) REFERENCES recording (id) ON DELETE CASCADE, 
	CONSTRAINT uq_chunk_recording_id_seq UNIQUE (recording_id, seq)
);
CREATE TABLE event (
	id VARCHAR(36) NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	at_ms BIGINT NOT NULL, 
	wall_time DATETIME, 
	device_id VARCHAR(64), 
	author_id VARCHAR(32), 
	payload JSON NOT NULL, 
	version INTEGER NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	received_at DATETIME NOT NULL, 
	CONSTRAINT pk_event PRIMARY KEY (id), 
	CONSTRAINT fk_event_author_id_user FOREIGN KEY(author_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_event_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE
);
CREATE TABLE event_revision (
	id INTEGER NOT NULL, 
	event_id VARCHAR(36) NOT NULL, 
	version INTEGER NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	at_ms BIGINT NOT NULL, 
	payload JSON NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	device_id VARCHAR(64), 
	author_id VARCHAR(32), 
	received_at DATETIME NOT NULL, 
	CONSTRAINT pk_event_revision PRIMARY KEY (id), 
	CONSTRAINT fk_event_revision_author_id_user FOREIGN KEY(author_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_event_revision_event_id_event FOREIGN KEY(event_id) REFERENCES event (id) ON DELETE CASCADE, 
	CONSTRAINT uq_event_revision_event_id_version UNIQUE (event_id, version)
);
CREATE TABLE join_code (
	id INTEGER NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	code_hash VARCHAR(64) NOT NULL, 
	created_by VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	CONSTRAINT pk_join_code PRIMARY KEY (id), 
	CONSTRAINT fk_join_code_created_by_user FOREIGN KEY(created_by) REFERENCES user (id) ON DELETE CASCADE, 
	CONSTRAINT fk_join_code_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT uq_join_code_code_hash UNIQUE (code_hash)
);
CREATE TABLE meeting (
	id VARCHAR(32) NOT NULL, 
	child_id VARCHAR(32) NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	title VARCHAR(200), 
	starts_at DATETIME NOT NULL, 
	timezone VARCHAR(64) NOT NULL, 
	venue VARCHAR(200), 
	online BOOLEAN NOT NULL, 
	plan_date DATE, 
	convener VARCHAR(200), 
	chair VARCHAR(200), 
	status VARCHAR(20) NOT NULL, 
	started_at DATETIME, 
	ended_at DATETIME, 
	consent_status VARCHAR(20), 
	next_review DATE, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_meeting PRIMARY KEY (id), 
	CONSTRAINT fk_meeting_child_id_child FOREIGN KEY(child_id) REFERENCES child (id) ON DELETE CASCADE
);
INSERT INTO "meeting" VALUES('1bb7ceb0a7ce49d5ac309be106425ca4','644d1671047e4b9c9e6606663b010da7','ehcp_annual_review','Year 5 annual review','2026-12-01 09:30:00.000000','Europe/London','Room 4',0,NULL,NULL,NULL,'planned',NULL,NULL,NULL,NULL,'2026-11-23 15:00:25.400484','2026-11-23 15:00:25.400487');
CREATE TABLE meeting_member (
	id INTEGER NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_meeting_member PRIMARY KEY (id), 
	CONSTRAINT fk_meeting_member_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT fk_meeting_member_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE, 
	CONSTRAINT uq_meeting_member_meeting_id_user_id UNIQUE (meeting_id, user_id)
);
CREATE TABLE minutes_version (
	id INTEGER NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	version INTEGER NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	markdown TEXT NOT NULL, 
	author_id VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_minutes_version PRIMARY KEY (id), 
	CONSTRAINT fk_minutes_version_author_id_user FOREIGN KEY(author_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_minutes_version_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT uq_minutes_version_meeting_id_version UNIQUE (meeting_id, version)
);
CREATE TABLE provision (
	id VARCHAR(36) NOT NULL, 
	child_id VARCHAR(32) NOT NULL, 
	position INTEGER NOT NULL, 
	section VARCHAR(20), 
	text TEXT NOT NULL, 
	what VARCHAR(300), 
	who VARCHAR(200), 
	how_much VARCHAR(120), 
	how_often VARCHAR(120), 
	starts VARCHAR(120), 
	delivered VARCHAR(20), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_provision PRIMARY KEY (id), 
	CONSTRAINT fk_provision_child_id_child FOREIGN KEY(child_id) REFERENCES child (id) ON DELETE CASCADE
);
INSERT INTO "provision" VALUES('981b1311ebcf47549270e34661c7fe7b','644d1671047e4b9c9e6606663b010da7',0,NULL,'30 minutes of 1:1 phonics with a trained TA, 4 times a week',NULL,NULL,NULL,NULL,NULL,NULL,'2026-11-23 15:00:25.427631');
CREATE TABLE recording (
	id VARCHAR(36) NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	mime VARCHAR(100) NOT NULL, 
	at_ms BIGINT NOT NULL, 
	device_id VARCHAR(64), 
	source VARCHAR(20) NOT NULL, 
	filename VARCHAR(255), 
	status VARCHAR(20) NOT NULL, 
	duration_ms BIGINT, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	CONSTRAINT pk_recording PRIMARY KEY (id), 
	CONSTRAINT fk_recording_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE
);
CREATE TABLE sent_record (
	id INTEGER NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	minutes_version_id INTEGER, 
	kind VARCHAR(20) NOT NULL, 
	channel VARCHAR(20) NOT NULL, 
	recipients JSON NOT NULL, 
	subject VARCHAR(300), 
	message_id VARCHAR(300), 
	sha256 VARCHAR(64) NOT NULL, 
	sent_at DATETIME NOT NULL, 
	CONSTRAINT pk_sent_record PRIMARY KEY (id), 
	CONSTRAINT fk_sent_record_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT fk_sent_record_minutes_version_id_minutes_version FOREIGN KEY(minutes_version_id) REFERENCES minutes_version (id) ON DELETE SET NULL
);
CREATE TABLE target (
	id VARCHAR(36) NOT NULL, 
	child_id VARCHAR(32) NOT NULL, 
	position INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	evidence TEXT, 
	baseline TEXT, 
	measured_by VARCHAR(300), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_target PRIMARY KEY (id), 
	CONSTRAINT fk_target_child_id_child FOREIGN KEY(child_id) REFERENCES child (id) ON DELETE CASCADE
);
INSERT INTO "target" VALUES('4d28954088504b75ae5ea5e51b90a0ef','644d1671047e4b9c9e6606663b010da7',0,'By July 2027 Sam will read 40 words a minute.','current','Running record',NULL,NULL,'2026-11-23 15:00:25.442633');
CREATE TABLE transcript_segment (
	id INTEGER NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	recording_id VARCHAR(36) NOT NULL, 
	start_ms BIGINT NOT NULL, 
	end_ms BIGINT NOT NULL, 
	text TEXT NOT NULL, 
	words JSON, 
	speaker_id VARCHAR(36), 
	speaker_label VARCHAR(120), 
	agenda_item_id VARCHAR(36), 
	CONSTRAINT pk_transcript_segment PRIMARY KEY (id), 
	CONSTRAINT fk_transcript_segment_agenda_item_id_agenda_item FOREIGN KEY(agenda_item_id) REFERENCES agenda_item (id) ON DELETE SET NULL, 
	CONSTRAINT fk_transcript_segment_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT fk_transcript_segment_recording_id_recording FOREIGN KEY(recording_id) REFERENCES recording (id) ON DELETE CASCADE, 
	CONSTRAINT fk_transcript_segment_speaker_id_attendee FOREIGN KEY(speaker_id) REFERENCES attendee (id) ON DELETE SET NULL, 
	CONSTRAINT uq_transcript_segment_recording_id_start_ms UNIQUE (recording_id, start_ms)
);
CREATE TABLE transcription_job (
	id VARCHAR(32) NOT NULL, 
	meeting_id VARCHAR(32) NOT NULL, 
	recording_id VARCHAR(36), 
	status VARCHAR(20) NOT NULL, 
	progress DOUBLE NOT NULL, 
	processed_ms BIGINT NOT NULL, 
	total_ms BIGINT, 
	attempts INTEGER NOT NULL, 
	error TEXT, 
	state JSON, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_transcription_job PRIMARY KEY (id), 
	CONSTRAINT fk_transcription_job_meeting_id_meeting FOREIGN KEY(meeting_id) REFERENCES meeting (id) ON DELETE CASCADE, 
	CONSTRAINT fk_transcription_job_recording_id_recording FOREIGN KEY(recording_id) REFERENCES recording (id) ON DELETE CASCADE
);
CREATE TABLE user (
	id VARCHAR(32) NOT NULL, 
	email VARCHAR(254) NOT NULL, 
	password_hash VARCHAR(200) NOT NULL, 
	display_name VARCHAR(120), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_user PRIMARY KEY (id), 
	CONSTRAINT uq_user_email UNIQUE (email)
);
INSERT INTO "user" VALUES('bcd627cd9d3d42ae804d48103fe67e08','parent@example.org','$argon2id$v=19$m=1024,t=1,p=1$sts7cQm1Ii3AGJaxRFZBMQ$utu1lk/Q6pInqPl9/mc+RONkwjkeBYRofGKxtMusfpo',NULL,'2026-11-23 15:00:25.322107');
CREATE INDEX ix_api_token_user_id ON api_token (user_id);
CREATE INDEX ix_child_user_id ON child (user_id);
CREATE INDEX ix_meeting_child_id ON meeting (child_id);
CREATE INDEX ix_provision_child_id ON provision (child_id);
CREATE INDEX ix_target_child_id ON target (child_id);
CREATE INDEX ix_agenda_item_meeting_id ON agenda_item (meeting_id);
CREATE INDEX ix_attendee_meeting_id ON attendee (meeting_id);
CREATE INDEX ix_event_meeting_at ON event (meeting_id, at_ms);
CREATE INDEX ix_join_code_meeting_id ON join_code (meeting_id);
CREATE INDEX ix_meeting_member_meeting_id ON meeting_member (meeting_id);
CREATE INDEX ix_meeting_member_user_id ON meeting_member (user_id);
CREATE INDEX ix_minutes_version_meeting_id ON minutes_version (meeting_id);
CREATE INDEX ix_recording_meeting_id ON recording (meeting_id);
CREATE INDEX ix_chunk_recording_id ON chunk (recording_id);
CREATE INDEX ix_event_revision_event_id ON event_revision (event_id);
CREATE INDEX ix_sent_record_meeting_id ON sent_record (meeting_id);
CREATE INDEX ix_transcript_segment_meeting_id ON transcript_segment (meeting_id);
CREATE INDEX ix_transcript_segment_recording_id ON transcript_segment (recording_id);
CREATE INDEX ix_transcription_job_meeting_id ON transcription_job (meeting_id);
COMMIT;
