from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "channels" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "target" VARCHAR(2048) NOT NULL,
    "thread_id" BIGINT,
    "name" VARCHAR(128) NOT NULL,
    "verified" BOOL NOT NULL,
    "enabled" BOOL NOT NULL,
    "is_default" BOOL NOT NULL,
    "settings" JSONB NOT NULL,
    "disabled_reason" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ,
    "last_error" TEXT,
    "last_error_at" TIMESTAMPTZ,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_channels_owner_i_53ac60" ON "channels" ("owner_id", "kind");
COMMENT ON COLUMN "channels"."kind" IS 'TELEGRAM: telegram\nEMAIL: email\nWEBHOOK: webhook\nSLACK: slack\nDISCORD: discord';
COMMENT ON TABLE "channels" IS 'One place alerts go (core/channels.py): a Telegram chat (the owner''s private';
        CREATE TABLE IF NOT EXISTS "monitor_channels" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "channel_id" INT NOT NULL REFERENCES "channels" ("id") ON DELETE CASCADE,
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_monitor_cha_monitor_536902" UNIQUE ("monitor_id", "channel_id")
);
COMMENT ON TABLE "monitor_channels" IS 'A channel a monitor with its own list (Monitor.custom_channels) alerts.';
        ALTER TABLE "monitors" ADD "custom_channels" BOOL NOT NULL DEFAULT False;
        ALTER TABLE "notifications" ADD "alert_channel_id" INT REFERENCES "channels" ("id") ON DELETE CASCADE;
        -- Today's private chats and confirmed addresses become channels (default ones:
        -- every monitor, having no list of its own, alerts them as before); a private
        -- chat of a user who blocked the bot, or turned its alerts off, is off.
        INSERT INTO "channels" ("owner_id", "kind", "target", "name", "verified", "enabled",
            "is_default", "settings", "disabled_reason", "created_at")
        SELECT "id", 'telegram', "telegram_id"::text, '', TRUE,
            "telegram_alerts" AND NOT "blocked_bot", TRUE, '{}'::jsonb,
            CASE WHEN "blocked_bot" THEN 'the user has blocked the bot' END, now()
        FROM "users";
        INSERT INTO "channels" ("owner_id", "kind", "target", "name", "verified", "enabled",
            "is_default", "settings", "created_at")
        SELECT "id", 'email', "email", '', TRUE, "email_alerts", TRUE, '{}'::jsonb, now()
        FROM "users" WHERE "email" IS NOT NULL AND "email_verified";
        -- Queued alerts now name the channel they go to.
        UPDATE "notifications" AS n SET "alert_channel_id" = c."id" FROM "channels" AS c
        WHERE c."owner_id" = n."user_id" AND c."kind" = n."channel"
            AND n."status" IN ('pending', 'sending')
            AND n."kind" IN ('down', 'up', 'reminder', 'cert_expiring');
        COMMENT ON COLUMN "notifications"."kind" IS 'DOWN: down\nUP: up\nCERT_EXPIRING: cert_expiring\nREMINDER: reminder\nBROADCAST: broadcast\nEMAIL_VERIFICATION: email_verification\nTEST: test\nCHANNEL_DISABLED: channel_disabled';
        COMMENT ON COLUMN "notifications"."channel" IS 'TELEGRAM: telegram\nEMAIL: email\nWEBHOOK: webhook\nSLACK: slack\nDISCORD: discord';
        ALTER TABLE "users" DROP COLUMN "telegram_alerts";
        ALTER TABLE "users" DROP COLUMN "email_alerts";
        CREATE INDEX IF NOT EXISTS "idx_notifications_channel" ON "notifications" ("alert_channel_id", "status");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_notifications_channel";
        ALTER TABLE "notifications" DROP CONSTRAINT IF EXISTS "notifications_alert_channel_id_fkey";
        ALTER TABLE "monitors" DROP COLUMN "custom_channels";
        ALTER TABLE "notifications" DROP COLUMN "alert_channel_id";
        COMMENT ON COLUMN "notifications"."kind" IS 'DOWN: down\nUP: up\nCERT_EXPIRING: cert_expiring\nREMINDER: reminder\nBROADCAST: broadcast\nEMAIL_VERIFICATION: email_verification';
        COMMENT ON COLUMN "notifications"."channel" IS 'TELEGRAM: telegram\nEMAIL: email';
        ALTER TABLE "users" ADD "telegram_alerts" BOOL NOT NULL DEFAULT True;
        ALTER TABLE "users" ADD "email_alerts" BOOL NOT NULL DEFAULT True;
        DROP TABLE IF EXISTS "channels";
        DROP TABLE IF EXISTS "monitor_channels";"""


MODELS_STATE = (
    "eJztXetz4jqy/1dUfNlMVTabyWvmpLa2iiTMDDsEUoHsnNrllFdgBXwxko8fedxz53+/kv"
    "DbsrEd4xgffUnAVgv711Kr1d3q/qOzJirSraOuoU3ICuHOJfijg+Ea0Q+Je4egAw0juMMu"
    "2HCm88bQ0BSbNeOX4cyyTTi36Z1HqFuIXlKRNTc1w9YI+xXs6Dq7SOa0oYYXwSUHa787iP"
    "a1QPYSmfTGf36jlzWsohdkeV+NlfKoIV2NPLCmst/m1xX71eDX+tj+whuyX5spc6I7axw0"
    "Nl7tJcF+aw3b7OoCYWRCG7HubdNhj8+ezn1X7402Txo02TxiiEZFj9DR7dDrzpTgWkdRhq"
    "OJMu5NFKVTAKA5wQxc+qgWf/sFe4S/nnw8+3T2+fTi7DNtwh/Tv/Lp5+anA2A2hBye4aTz"
    "k9+HNty04BgHoPL/CVivl9AU4+q1jyFLHzmOrIdjFrTehQDbYDz5QHZ2Be0avig6wgt7Sb"
    "9enGXg+K/u/fW37v3BxdkH9oOEDv7NvBi6d074LQZ1AC2fL8oSWssiAEepqoH5fUfwjmE2"
    "TPSovRSBOKCobxTXBvDHkxwAfzxJBZjdigI8NxEDQ4F2EuQbesfW1kgMdJQyBrbqkh55H/"
    "YRevqC6gjrr+6cyoB+0r/tjSfd2zv2c2vL+l3n+HUnPXbnhF99jV09uIixye8E/OhPvgH2"
    "Ffx7NOxxeIllL0z+i0G7yb877JmgYxMFk2cFqqHp7131UItwXYeWrThWKb7HaSvgvPvITW"
    "H8njDawyST05RRplJIuQpRbNew9mEaV6BkMbX1cSXUsRhcSXS/EBNpC/wdvXKQ+/SJIJ6L"
    "lCtXU39wu9kzcH96o8e7GsxmEz77en54UNF3p2+M7M063h1fd296HY7wDM5Xz9BUlQjU7A"
    "45IbErftvkrfXJOn4FYrjg4LC3YM/sok7VCIyR3hFsnbxbh1k7p/mmUb59U2eEETB0OEcA"
    "6si0LbAg4GBOR8rfvH6OjNcPlwCCCQVoYcI1oDdscEA3U4A804HxFwsYpvZEx0cnxp5KO5"
    "9iduuQtl2YxDHYB7eTQ0BMQOhPPRLTWQObGNockEev5QfaFAO0hpoOqJCicsziFBBP8bfJ"
    "5A4grBqEDhNw8IxmS0JWh2BMH5r+u9Es+rTqhyP2ieGrguclwkCzKZwa+0p/kr4UUaf44L"
    "+q20aha7RF8H/pDzvYpr+q0TfnbwNsx8QWIycYwAUdm0edwzxb1P90OL07Wlf0Tuc3uW2t"
    "c9vKMReq/D3srBMCNYKxR9tk5b8z6Q16X++7t5Rt7lyc4t5ttz+43MydKf7Ru/o2Gn2/BO"
    "40meLxoHtNv1tstkzxTX98Pbq/uQTqZtrExUGuzcRFns1EXHkJbSYuEptiaNJpVWhD7FM0"
    "mWEld2snx2efc0DMmqWCvLkZg3nJdiZCre5KW6SKnwhZKdWuYXq6K4d+OTk5Pf10cnx68f"
    "n87NOn88/HvkBK3sqSTFf9r0w4RTjhSStpVBMYI/KMbtoqwxyRGNtPyNRod6KhTYiOIBaD"
    "HCaLAT2jdLtC2lt1692EXo1Gg8j+86ofG7XDh9urHsWeI08baXbKYEaYq1EF0Q5RSbDzg6"
    "1Z/pMXwztKKCHPD7mFbJs+hZUE/J/j0VCMdpgmbtzS5jb4P6Br1s4sIZ2/Pzp4ztAEM0fT"
    "6ZNYR+xn/7EroZ7BCIZRhBGe6D647f4al+rXg9FV3ILFOriKsSS2dUtyZoJeUjQYAWmpVb"
    "VhekyWvbH36ySbA765cTAafvWax9kibf7S5i9t/n8Wmz/nFjJNIjBMpwvXKJWUq8XlaoBg"
    "2SkWJpZzrMlzLGwjzmn+DZNIz9p2zxrHS7rWtrnWwsOqqG8t7PXCmk1lj67hlWC3dOWSf/"
    "l+j3TIXyUV79tNVyEHWkuQj5oBia09anOOxRsBG4a62lupnkRrt45bNF8NyKIj9Ny69w6z"
    "Xbe0laKTxe6DXv/oBG/lT7TNhOVPsVGrGRF6MZjPlA8pt5/A0/iiBM+seN14moA3pDq8F/"
    "ou/MvPQo7LLOdBy3yXtfgM0j2cIbYXVBOjlC3cgbdKSVwVNPRuCGo08L4PI6s08NrQdiwK"
    "oSpwyo3XUNdTRVqMtEUe0dOTTxe+PGNfsiTY+LY7GCSBpUoLwvNXZS1QblIhjRK1CNE3xr"
    "qErN/YKgZpQCDhTMJJu8dobheDNEokYU3CausFR2lAIOEUwGk/zgriGVBIQAVhC9xOmh4n"
    "mBK2EKFqg4U7GpBzmud00Gn66aDTxOmgDWJruiWl2/DiUIcI24f2ea7DWOcZp7HOBcexkG"
    "kr6MXQ6C6kzO4wSS7dCE3eIT5qGOqKY+pFJleEqH0Ta1dhsxpW1uwnEfb8BUVCsBLENe7S"
    "/St7u02PWj1zKkFRIuky2+4ycxGrwGl2G/S0ZxDn9ZtFR1eTTqXdQE1/vSe67hgdgX8jfP"
    "swy8Vh8jaWojKC6r0ccV+GgUyNqAodWaa9OTJVNvGHdETU5YiI8Kygshmnlc6IRqua3HNU"
    "yEzmE9S39B43eN2N6O1UpDqMOfnhDJNIQBMKYpZmnq4hZqrkElbfITMnDhYI+K2OHJ9OQp"
    "sGreWsi2kwMcLWIFvzOUzf16gJzpBs91BqooAsaVwPQwQFibe2AwtFybcksMxE5MxXyC50"
    "Fi1EIo+iRTTtKo6iSauUtEpJq1ROq9Q34phZZqnI/cM8dqklp5CGKWmYkoYpaZjKvwJLw5"
    "Q0TNUGqDRMScPUfkIrDVPSMLX320ppmJKGKWmYkoYpaZja7dDeY8NUH881FfEHTxil/HuH"
    "WQYpzW31rkfBqTgg+lPus+D+M/tHwYmxKfRUxVHwP4uVa2c5rLnxqdQJ7yiltF012nYVnr"
    "QF+Rwjlec0msznOXSsQgegfIIW5jWv/pzZo2amp6zLOghjvjlnXbkNyK42GjUcMcvKDpgO"
    "dQXZAf90SG/qliiF/RsJutZY4qqzyssNstwgt2mDLBPLNSOx3G3guPtB35urgwmrQrLRYZ"
    "Z5IeQMVJ55+90bGqJVrBBW+XlwWciqfiNAmXP8EUJpAmj01tCbWwVZHCKTDG40g9PqVKRv"
    "lt5YnqLJG6WT8zxV42ir9NQM54m6cbIgRTr67S1I4fFu9lpsG5egky795myQWw6rTPu/c5"
    "uDTPufy9ywPe2/QBzUashpmCio0o4jXsbqG7R7Cm1i5Y6gS58CDB8Gg/eKI/FGtsjgEwz6"
    "DDPPplHdth1N1iev2azT/ArAtbmCd1IDuGhe1/prvneWtm0kN9z+1Uqgrbw8e8E0k29JMN"
    "nsUburDJNrKrFJytDtYWedUAKiuy+fusaB/LU3KWg4YiSXgP6Z4m+97s0lYH+n+G40ppfZ"
    "X/r5gX18YJ+6k+tv9DP7N8U3vUFv0rsEm/9TPLqb9EfD8SVwP3RK8DIPI9O5mGDhEkEVmY"
    "VC4UMkMhQ+YnuqIhR+RlSBYp1extJr34a8uFnGvl0UsDSgCUVp6tPHfkDxpqG/P7jvZIwz"
    "97D5BHXFQvRJ1CKxQiLS+qxMF/sSL2Qi26SbzvI4p3dQH9on+4I287UQx06H+YtOYFrliy"
    "RtDOFHRrwrjD8eH+0K5QwIb0YPV4MeuLvvXffHfVfC+L4afpNdCjJs3/e6gxjocD5HBrOu"
    "hOpaCaBP1/dTO6hRHT05Pv7r6S+/1OPL3Mnm1Ttuai+pwF8S2m2pClpxcumMSYqZFXp9Jm"
    "YxU0FA0gYFsQbfvIuYshZW2Mu3s433UaNAYWfo3PN/Rfa4VBKPe0O6i3Xpp7h7tbkAZ35/"
    "77tT5bVenqGJ6RMoKnwtpLcLid9196rOjlxj+991uJ6p8B+t2cK6CXYCmZ7kVHalSmEH9e"
    "mdp7tdD6qoVmk5VHmxrPIQCzuoUbVvPsQmWrM3MINNEP3u2IVSTWX2IVWcJOgGO0YoSkSY"
    "VasoIJI1igrUKJo7lk3WynwJMXZ9uwVAF1C/N/pFPc/vVsC5tGLpE9eoUTp4hckzLqpRPg"
    "y/D0c/hpfApZ/ihzv6xZjiG35Z5dfuug/j3g1VO/0p/M5aJkdYsTRh+ruthxjCpPKAe5OD"
    "3Nmroblja09IKZFDMo1cnlwVVKz2kXKVztJIR+gl1KJcqGx/W0p6JYil/Gqy/PLYVTaThJ"
    "i8fTbCnSQ6wOjF3qQrKHGEJ0Fcy0SrMx6xTfOM5wEpy+oEsZSpTeY13cqqpXmdIJa8bjKv"
    "+dQkq4JGjxBVOWPH/nC0QpMHRy3kZC9qqxbRt8h4WoWxmkPkZ34u5oBPULYI2wpzcXt6sl"
    "I0XF9A2j49u/oceRw234FSUvmK0cs1uclrMnfSoxdDo32WyY2QJJf8bjy/WVAGUlMCOtKt"
    "ggJSuWwJ/KmOtVRsskJYWUJrWWTZEpBWsmy971HJyKJ1cZZj0bo4S1202K1UvA0TPWqCwh"
    "25EA+I26cqVOyx46jxxd5gFs3i64awA7lyNHnlCFjmxTG9he3RPiTnG8/58sUGBOSS343n"
    "N5+lRQ9GJinbsJTWfURSpqpL12ram6rOMdSSXI9SSq43hesCYes+vUz2JpO91bx6VZDsLT"
    "1l1vZC20VSyl+zPgZk0SKwo6cciK47hqWoUNNFFrgiWN2wPu55h22Ha0kc8814feOdtBuw"
    "SKnB8lCF6xq2EaaUkgnlAROWbNjLrU42cO75E0XX8FtFvZv08HrTY1tHmiy3UgQtZhF+I0"
    "p37CFaNJhqSEnqTcH0zKShSbo1QWnkjNrWRKWdLnDbAwjcHsCzZi+BZluAKqb8gDg4cB/k"
    "KHYO7gOAOjJt66gTQ7nKfgUpU+PVdT256GVLDaVTlclTq/e4pidPDTEiP7hRIrmxblDC/z"
    "bimmGwkBXxdphJPVjE3oht+3TWOLZRiVjUJrRLnSWiBQs0lriWnK6vJFTz7crKCKONYgBs"
    "Agj9YqK5Zmh0p0y/8QsucJdU6zDJMyCPgKoMgDj2jLwklZQK+tuez/2PTgBtZxPXzQj5wS"
    "ho22ht2Lx4H72GXlhCIosD4nYUaCsvSgQxRXX4FPHmRofTUwD5Fz7zQr/rWCimK7GP7tMU"
    "/mkfpvwPwGFWouO67M+H3iDlxwspfVfa4s+i9/1ycnJ6+unk+PTi8/nZp0/nn4/9BTR5K2"
    "slvep/ZYvpYdh3k1s7TLIgXz6IEHmT05Z3Jr1B7+t995aymIrthQnXU9y77fYHlwCtoaZP"
    "8Y/e1bfR6PsleEazJSGrKR4Putf0u6VTKT3FN/3x9ej+5hKomjV3M9q9f4b59KMAOZLE1Z"
    "7FvwTjwrk6vPwd1737idL79a5/3x9+vQRB2DXlxBTf9277w5ve/SXwYu+n+Op+1L2hy/Tk"
    "EsxMAtU5tGx3ACj/6t33v/SvuywhujsalCdk+sJtiic9RmgjRkMZMRz2BgodDt2rAcsc4g"
    "lQOi4YNqUGRvWHFwz4qtMXTY6NrNTSPolMqx7xmFeRk05FqmMoKyQIIUoPyI0QtS34eSfZ"
    "YANtroxIDKjrzJiJsOqaaItIxrve8IbLP5eeLljeFSt0ZcK/2qwWBKsdoSKoUinWHV73Bh"
    "vxxYDQS8qt6hc0V/0uchQjTCJzssTNVPFNTQLXHMkiouQtjKna3xiqZOicjqCFFAfbmkCr"
    "33JiMUoqA5ObzOe5DrW1ggwyF5yqytpAxwhbdGqtlr206Eh2kgHpYeFRKhkSLkPCZXBwnp"
    "BwpsWWYHmITK5nTV7PRObovDsAAWmLlrXK9gJeLGQxdGNUEtjmxAK0HNaQiywnpiEKGVyx"
    "PbjCseRhkO2u/9Cg2h5TEVmLKsA2f2RFw4RBXnRFi/d2mN8jLGhPAc6ICqKPAIYPg0FHqC"
    "ZUAG6BYxN7im5MO0qB930ig0Y8KGawKZe81IyOIDoo0eYwK0JoE2aj6NHmW6OEJn6Ezl8s"
    "EBADboQ6BHPiYDougGOA2StAcL4EGD27DZMxQm/qbYqnmAUZsdihA00FHz8kKJ6Q+QoMk7"
    "CcHMBeQhvYcIUsHmfEeonGHE3xgTr7m9u78Uq7swjgNjYLrOlF4DAfNICYPoqpa/Rj6JGh"
    "iQCvTgHgDGKVYKRu+nPjmWh/OWOaZFB1nUHVJcyubzO4NtFHVYO5NaG7vo8gvdugkRCe3t"
    "GadIHpn9/JF0pp0lFi2uDRJGsAAcsg4h3VoKLuf8jsEKyQQe8Tk0ugOX0zKllU/mWpWbTd"
    "qzimsqqOtwui+EEQE82R9rQxuv4mowAbGQUY5lGCDdn21RhpC23qbTKytj5ecPxwfd0bjy"
    "+Bm1Ntir/wKM9HHuRJ4btnATEs/1ZcTOaJd6k4cyB60by84kmmZKckj5G2yHpYSelMBwuT"
    "kGetKAFNi8Cs2SNeNEWaTIxW3gvOrZJUXRXZadIjSqNUbcC9hpLsFnFMUUGzdJgDivZBXH"
    "3SYnmUVh6lbZhZN89R2vexRWzSNY15IV6BSSJ8+zDLMrHJJKX4FX23Gyi+kWd6a2Mg2FAz"
    "ywE4sOZLpDo6Mo/c7FQfwBJaYEFsoGGwKUmlk4UgJUUlPb7BNsr/FxDrXvtqtkANOotR1Q"
    "GkdBMDs20LBXyWTh4iklbTciq5hRAujHuISOJeDneZwTadIfsZpCowsPn5qBrgo+BBOAKF"
    "wAvOSdcE2J4wn48incXSQdksB6V3zL2w6I8RViP+mwB13fKfTqqi6mWYRtoNttsNVM0ydP"
    "iqFMU5TlfjYd9OLVDvxAqmQ7xw6NpTBOkwTftGdMXuIF/0lkFaSCwh3wY51aD/l24yCyEd"
    "oqlRcjxMrpPCw7vYTPnMk6kUgdYnaN/APTnPAy9tlSGSxQC72WqQSNHLqiWeJC5XUrzUcP"
    "av7G1RcTfthlJ4kCcI5WAvMNhZ/fXCpUQFpO0DfSf5dELIlS+MnNqJPJHbHFtWMlgsxLb0"
    "tDxbwpTEXbTGqFxFsNJMJ/MVUpUZEUyszBU8RimX7wLLt+fg/d0hNixggEzQtSharLKDu1"
    "7mRYXVgDGfoK7Q746NiqT1yuyjNQKkMshlUpR0qPfT35QnKcqmfDTz1hbne5xWKmNNU8YK"
    "eBZDB9ANTbHJCr21uFLX0Casmz2c8GlBXlGBGSrKUx6l9hU+EK4qsiTcvtXS28vh5irX1d"
    "TRaytI71dAb2/g2mWcTReZ2nzZEUTauHcOs2JtYNBGBtvUtgHYcbDNEzItdwbltUiHSJp8"
    "nrK0/f88l/3/PMP+f55IDW4YRRB2m7cQ3Y/Hx3kM/cfH6YZ+di9mPyBMxRBsItMLRoRI6i"
    "8Y8T7bxspKQ7xr0OjP/wcvX0HM"
)
