from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "users" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "telegram_id" BIGINT NOT NULL UNIQUE,
    "username" VARCHAR(64),
    "display_name" VARCHAR(256) NOT NULL,
    "language" VARCHAR(8),
    "telegram_language" VARCHAR(8),
    "email" VARCHAR(254),
    "email_verified" BOOL NOT NULL,
    "pending_email" VARCHAR(254),
    "email_code_hash" VARCHAR(128),
    "email_code_expires_at" TIMESTAMPTZ,
    "email_code_attempts" SMALLINT NOT NULL,
    "blocked_bot" BOOL NOT NULL,
    "monitor_quota" INT,
    "telegram_alerts" BOOL NOT NULL,
    "reminder_interval_minutes" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_seen_at" TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS "api_tokens" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "prefix" VARCHAR(12) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "monitors" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(128) NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "method" VARCHAR(8) NOT NULL,
    "headers" JSONB NOT NULL,
    "body" TEXT,
    "interval_seconds" INT NOT NULL,
    "retry_interval_seconds" INT NOT NULL,
    "timeout_seconds" DOUBLE PRECISION NOT NULL,
    "accepted_status_codes" VARCHAR(128) NOT NULL,
    "latency_threshold_ms" INT,
    "keyword" VARCHAR(256),
    "keyword_mode" VARCHAR(8) NOT NULL,
    "cert_warning_days" JSONB NOT NULL,
    "failure_threshold" SMALLINT NOT NULL,
    "success_threshold" SMALLINT NOT NULL,
    "reminder_interval_minutes" INT,
    "paused" BOOL NOT NULL,
    "state" VARCHAR(8) NOT NULL,
    "state_since" TIMESTAMPTZ,
    "consecutive_failures" INT NOT NULL,
    "consecutive_successes" INT NOT NULL,
    "next_check_at" TIMESTAMPTZ,
    "last_check_at" TIMESTAMPTZ,
    "last_reminder_at" TIMESTAMPTZ,
    "cert_expires_at" TIMESTAMPTZ,
    "cert_warned_days" INT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_monitors_next_ch_36df5e" ON "monitors" ("next_check_at");
CREATE INDEX IF NOT EXISTS "idx_monitors_owner_i_014197" ON "monitors" ("owner_id", "id");
COMMENT ON COLUMN "monitors"."method" IS 'GET: GET\nHEAD: HEAD\nPOST: POST\nPUT: PUT\nPATCH: PATCH\nDELETE: DELETE\nOPTIONS: OPTIONS';
COMMENT ON COLUMN "monitors"."keyword_mode" IS 'PRESENT: present\nABSENT: absent';
COMMENT ON COLUMN "monitors"."state" IS 'UNKNOWN: unknown\nUP: up\nDOWN: down\nPAUSED: paused';
CREATE TABLE IF NOT EXISTS "check_logs" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "checked_at" TIMESTAMPTZ NOT NULL,
    "ok" BOOL NOT NULL,
    "status_code" SMALLINT,
    "latency_ms" INT,
    "dns_ms" INT,
    "connect_ms" INT,
    "tls_ms" INT,
    "ttfb_ms" INT,
    "error_kind" VARCHAR(32),
    "error_message" VARCHAR(512),
    "cert_expires_at" TIMESTAMPTZ,
    "final_url" VARCHAR(2048),
    "in_maintenance" BOOL NOT NULL,
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_check_logs_monitor_time" ON "check_logs" ("monitor_id", "checked_at");
CREATE TABLE IF NOT EXISTS "incidents" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "started_at" TIMESTAMPTZ NOT NULL,
    "resolved_at" TIMESTAMPTZ,
    "cause" VARCHAR(32) NOT NULL,
    "first_error" VARCHAR(512) NOT NULL,
    "last_error" VARCHAR(512) NOT NULL,
    "failed_checks" INT NOT NULL,
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_incidents_monitor_open" ON "incidents" ("monitor_id", "resolved_at");
CREATE TABLE IF NOT EXISTS "maintenance_windows" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "starts_at" TIMESTAMPTZ NOT NULL,
    "ends_at" TIMESTAMPTZ NOT NULL,
    "reason" VARCHAR(256) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_id" INT REFERENCES "users" ("id") ON DELETE SET NULL,
    "monitor_id" INT REFERENCES "monitors" ("id") ON DELETE CASCADE,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_maintenance_owner_i_49ddc6" ON "maintenance_windows" ("owner_id", "ends_at");
CREATE TABLE IF NOT EXISTS "notifications" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "channel" VARCHAR(16) NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "payload" JSONB NOT NULL,
    "dedup_key" VARCHAR(128) UNIQUE,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "lease_until" TIMESTAMPTZ,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "sent_at" TIMESTAMPTZ,
    "incident_id" INT REFERENCES "incidents" ("id") ON DELETE SET NULL,
    "monitor_id" INT REFERENCES "monitors" ("id") ON DELETE SET NULL,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_notifications_due" ON "notifications" ("status", "next_attempt_at");
COMMENT ON COLUMN "notifications"."channel" IS 'TELEGRAM: telegram\nEMAIL: email';
COMMENT ON COLUMN "notifications"."kind" IS 'DOWN: down\nUP: up\nCERT_EXPIRING: cert_expiring\nREMINDER: reminder\nBROADCAST: broadcast\nEMAIL_VERIFICATION: email_verification';
COMMENT ON COLUMN "notifications"."status" IS 'PENDING: pending\nSENDING: sending\nSENT: sent\nDEAD: dead\nCANCELLED: cancelled';
COMMENT ON TABLE "notifications" IS 'One alert to one recipient on one channel: a row of the outbox.';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztXWtvm0gX/ivIn7pSN0qcWxutVnISmnrr2JHtbKvdrNAYxjYyHlwYmkR989/fGcydgT"
    "DExpjOl8Qe5uDhOXM5d362lqYGDfugs9LH5gKi1oX0s4XAEpIPqWvvpRZYrcIrtAGDieF2"
    "BitdwbSb2wwmNraAismVKTBsSJo0aKuWvsK6SX8FOYZBG02VdNTRLGxykP7dgeReM4jn0C"
    "IX/v2PNOtIg0/Q9r+uFspUh4YWG7Cu0d922xX8vHLbugh/cjvSX5soqmk4SxR2Xj3juYmC"
    "3jrCtHUGEbQAhvT22HLo8OnovGf1n2g90rDLeogRGg1OgWPgyONOlLCtpSj9wVgZyWNFaX"
    "EApJqIgkuGartPP6ND+L19dHJ+8uH47OQD6eIOM2g5f1n/dAjMmtCFpz9uvbjXAQbrHi7G"
    "Iaju/xSsV3NgsXH1+yeQJUNOIuvjmAet3xBiG86nAMjWtqBdgifFgGiG5+Tr2UkOjn93hl"
    "efO8N3Zye/0R80yeRfr4u+d6XtXqJQh9C660WZA3vOA3CcajMw73YGbxnmlQWn+hMPxCFF"
    "dbO4MoCP2gUAPmpnAkwvxQFWLUjBUABOg3xNrmB9CdlAxykTYGse6YH/YR+hJw+oDZDx7K"
    "2pHOjH3Vt5NO7c3tGfW9r2d8PFrzOW6ZW22/qcaH13lmBTcBPpa3f8WaJfpX8GfdmF17Tx"
    "zHJ/Mew3/qdFxwQcbCrIfFSAFln+fquPWozrBrCx4til+J6k3QDnvSHXhfF7wmgfk1xOE0"
    "ZZCpdwFaF4XcLah2W8ASGLiq3TBVPGonCl0f1kWlCfoS/w2QW5S0YEkMoSrjxJ/d67zZ6B"
    "++LPHr81XM0WeAzk/OikIs9Onhji9TneGV11ruWWi/AEqItHYGlKDGp6xWybiZagb/rSsr"
    "1MtgAEZi449CnomD3Ur+ZQXfTMWYuhOwXX3ufpTirtpRjmbPu6089W+FRkKEjHpo+pO4r1"
    "jkyJ4BORgmyb/GQAQahnPSnhmBX/Nv5G7c/KlnsX8izulxcute1Sn/0qmtvHdvv4+Lx9eH"
    "z24fTk/Pz0w2Gwu6Qv5W0zl90butPEjonX9bsI23mFtxhlA4W3Jp3h5oKxyEzTgACxubsm"
    "SHB1QiiaxcjLwaAX4+FlN7GE+ve3lzLRiFzmkU46jq2sEGJyPGPHJhBqDIPJaAkMI3NLS5"
    "CWkplqJgB7u9tx+/ws2M/ol7wdbHTb6fXSwBrkoZH6rCxtDhE0TtQgRN9o6Qth1ZDNB2lI"
    "IOBMw0luj6CK+SCNEwlY07Big3OWhgQCTgaceDrhxDOkEICmAYWWRXSfBXkaHgtznKqUlb"
    "luuMaMzMdFjMzH2Ubm45SReY3YkqikRA3nhzpC2Dy0TwvZ9E9zjPqnDKs+tLACn1Y60ULK"
    "aIdpcmHlrbOGONURMBTHMngWV4yoeQurfXjyocDKot0yl9b6Ynxt6UhZ0p+EyLfocmjmae"
    "IKtfSgZW/V9LjVs6AQFCcSPo3XfRoeYhtwa9yGd9oziIt6NuKzq07OjS5SdQ26A085N4Jr"
    "7/OcG7rXa6e+DXJMmsaPws6NYMyBb8NcrQPgNuHb+FUcG1sLSSMbhlUu3iROKVwWtRZIo4"
    "uWk88JUqF41JnPKnBsLo0+IGhgdN7mDSdT3bKJJk6tIHyaXYysceG8W7GZuHFt3FDHqQTS"
    "RZCeAt0g+7sbg8BjzU7RVafLHdZa3BIKslCQG6ogR5JZTKxPdRVgV/NLIX/pkX/6MoSG2y"
    "kb9H7kVnsrP6aAf9mmMeE2tFp+Jc/tioMpq0K60/s880LEEqo8uv23b2j4t2U+oiAWFSLN"
    "dXD8J4wAlRsByjimYoTCBFBr1dBfW5wsjpAJBteawRYE9vr8LKoshRSNU5Tap2dFnI2nSY"
    "ZFfI30mkjOE8l5Pu8mz3xqXIpOhHzVR0FuOKxRobogqFESYXN43ebg4rUBi0PDMw2j04pt"
    "bGBsB5Uacmq2FWzSjsM+xqqbtHsKberkjqFLRiH173u9XcWR+DObZfAJJ32OmWfdqWrbDv"
    "krzDqi3FBl4CYKtRSJPSW9ckq1pCJPOeN73xLZW290txXauyQ7i5mRCyIjZ5k6rOJaQkBd"
    "oXXjRh5zGjgoyYVE/jygz3Ln+kKifx/Q3WBEmulf8vmefrynnzrjq8/kM/33gK7lnjyWL6"
    "T1/wc0uBt3B/3RheR9aJXgZRFGZnMxxcI5BBq0GP6hv0aDPnudREiShhJdxdL/JEO3t6aP"
    "tP6YOkilrJEmjm5gHdkH9Gf/3JbZKgduClHMRuLj/O628y3Jgqve4DJp/KA3uEwwZGJqDA"
    "FwDJ8yDlu/fxMSEvKMUvK3cT7WgU2qN+jf+N2TDEimJmBo/QCGYkMyEo0ntoJFWp1WfrYv"
    "8RUWxBYR0svjnH2D6tBu7wva1DZtOjgb5k+GCbJSX9O0CYSnlHhbGB8dHmwL5RwIrwf3lz"
    "1ZuhvKV91R19vNA9u2e5E2hSk2Q7nTS4AOVBWuqDYaKWzBgD5b7sy8QYViUfvw8Pfjjx+r"
    "8f1sRdj3a2DgOTlc5ya5bakSGklyYbxObzML+PxoWlw54BGSJggqFfgyPcSUJbPETjENK3"
    "mPCjcUmnPk5Uvx6FpkJx7JfaJNefQPqHO5bgCT4H671ZjcZO9HYCEyAkUDz1y6E5N4p1qU"
    "NjnwjJN/GGA50cCfjVGlaPyzY8FwT09zKr9UFfMG1cmdx9s9DzZRrsp2iPBi2+UhZt6gQt"
    "G+/hBbcEmfwAqVIPLdwSwZM0eLyrmHEHHSoK9o2hWrVmdesYKQSBQp4KwlWFrECYgrlG0c"
    "tEDmI+KVbe77X/qDr/0LyaN/QPd35MvqAV27zZrbdte5H8nXRAAKJtOO5R0XYcXWmcU7Xg"
    "0/jpKK1NQ6h6fSR4Oqg/UfUPEEH87qfkxykXPGKJ4YIOWJP6WRjtELqJNQI/iEvfLd/DHB"
    "KeJK9q8qAxyatH25icVlWZ0iFkdV7Xkd6DQl2Z2gFxyvM8dFgcZfkN/UTgq1DBtrtnjEIB"
    "UmDoYYKpKlfsFkKWelleR6nFJwvS5cZ+yn3uhFupFIN6pY+NhAulGR2iZZpZB4ippE31fW"
    "ELATwY2RYqTlYYpWPm0iTBlFVcoDxizqsl+iZiHgRH2hXdYXikHGyDRLQpqdbpbi46s5Z6"
    "0BghIwiJ4lYVMyyRcLqvpKJ7sE+eY2qHOAEDQIEHMomQ6emE+SOZWu5VH3pn+w1A6Sjq1N"
    "3ZOzdPI65JISutZegDFcrnDB0skx5BTNEW+E5BfHdv5GSHdOlfU+R8jrnDbWGss9+WbYuS"
    "UsJgLXzALLByTfdrq9CwmSA9Ao42Y+KhL0eJQd83iUDnnMfLFQgVDHt7xeqCo2RP38vu//"
    "Sh6OFfnbXXfY7d9cSKGlknDiAQ3l227/Wh5eSL65+gFdDgedayIujy+kiWUCTQU29tip/C"
    "0Pu5+6Vx2aXubxVvkBrdhRsPsyvSvwbJCBp3mdHTgZIRFJZzGrwyYiJTWoOStlARmZZ9kx"
    "3TGijUR17/ZA2n6OQihtlA11cqpODFlBpFHUOHe6O7l/7e5nHv0DGvktdqRl7H7FNFOWZt"
    "ZqEGhkR+z0r+RejwZBqRQIwygXB7X5A8oTD3m8EVESEZ/BjM+ICN0pXAtEaMTJG2iX3l87"
    "NMNzD4ENFQdhnSFzv+K0j5MK/22t+ZzzcoDsXPYNvBxgj3i6jYx24dTNPrv2071XxKlLZa"
    "gy1aFDMrGb1nk39V05fB7cBJWIgRHVTSuC1bF5ow0iFCLY4PVgA8cWsQavxxpEJpWobFpN"
    "ZdOw9ibr/NoAuBzhCHuKbuLYrlVpU3fDYHib/Y0k28tM1+L2K5pyeVl/FRfr1uqX+r5E5l"
    "Gf58NOEG7mxK8D1JV4s+NiAG8R2ShNEywscZv/2UkBm//ZSabNn15KuMZ0e2WAZ4UX5ySd"
    "eINLkapHBkAzh5w9PEhHaZo3ozeczR9svWWQZhILyF+BPIiwKQpzQNA8aNunRTZo0itn00"
    "ht0dEwF+6iLWliUbyFo3iL599XuCd5ilBMdo7JTmuEKnNgz7n3lThp80DfSuBOBLnySciZ"
    "NxHOlzo7XyJsy47/yS9yl3GLxsQDbaLM3cQw1QV9p4/JWFi5J3iCUhzfHMe3b8r97pgYlP"
    "CBBXTCDcYox+6rS25eCytHKm9aM6grnNq+8WxvZ3Y9y2bWcfcWFSVE8NEbgo/coD0bQlS2"
    "EFOEVkjCdZOEU0EIRdLzwUpXsLmAb80L7qz0Mb3NHi74QinU/rYn8s73LWF/L6db9MWib4"
    "CrcHjLXoK0u7IGewPXNiNMOtDS1XmLEWPiXXmfF2UCwj4izKQy2XbLYSY/oGV7K6iopTtC"
    "UueE8NJ+hdNCfoXTHL/CaSq3kSwqDoS97g1E9+jwsIgD4fAw24FAr6VqfmNmAGTOq4JCku"
    "oz3nejEW0st51Da9n8YfbyfyelnjU="
)
