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
        ALTER TABLE "notifications" ALTER COLUMN "channel" TYPE VARCHAR(16) USING "channel"::VARCHAR(16);
        COMMENT ON COLUMN "notifications"."channel" IS NULL;
        COMMENT ON COLUMN "notifications"."kind" IS 'DOWN: down\nUP: up\nCERT_EXPIRING: cert_expiring\nREMINDER: reminder\nBROADCAST: broadcast\nEMAIL_VERIFICATION: email_verification\nTEST: test\nCHANNEL_DISABLED: channel_disabled';
        ALTER TABLE "users" DROP COLUMN "email_alerts";
        ALTER TABLE "users" DROP COLUMN "telegram_alerts";
        CREATE INDEX IF NOT EXISTS "idx_notifications_channel" ON "notifications" ("alert_channel_id", "status");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_notifications_channel";
        ALTER TABLE "notifications" DROP CONSTRAINT IF EXISTS "notifications_alert_channel_id_fkey";
        ALTER TABLE "monitors" DROP COLUMN "custom_channels";
        ALTER TABLE "notifications" DROP COLUMN "alert_channel_id";
        ALTER TABLE "notifications" ALTER COLUMN "channel" TYPE VARCHAR(16) USING "channel"::VARCHAR(16);
        COMMENT ON COLUMN "notifications"."channel" IS 'TELEGRAM: telegram\nEMAIL: email';
        COMMENT ON COLUMN "notifications"."kind" IS 'DOWN: down\nUP: up\nCERT_EXPIRING: cert_expiring\nREMINDER: reminder\nBROADCAST: broadcast\nEMAIL_VERIFICATION: email_verification';
        ALTER TABLE "users" ADD "email_alerts" BOOL NOT NULL DEFAULT True;
        ALTER TABLE "users" ADD "telegram_alerts" BOOL NOT NULL DEFAULT True;
        DROP TABLE IF EXISTS "monitor_channels";
        DROP TABLE IF EXISTS "channels";"""


MODELS_STATE = (
    "eJztXetT4zi2/1dU+bJ0FcvSPHuora0KkO5mJwQKws7Ubqa8SiwSXxzJ4wePO7f/9yspfl"
    "t2LOMYx6MvkNg6ivyTfHR0nn/0lkRHprPXt4wxeUK4dwb+6GG4RPRD5t4u6EHLiu6wCy6c"
    "mrwxtAzNZc34ZTh1XBvOXHrnEZoOopd05Mxsw3INwn4Fe6bJLpIZbWjgeXTJw8bvHqJ9zZ"
    "G7QDa98Z/f6GUD6+gVOcFX60l7NJCpJwZs6Oy3+XXNfbP4tSvsfuUN2a9NtRkxvSWOGltv"
    "7oLgsLWBXXZ1jjCyoYtY967tseGz0fnPGjzRaqRRk9UQYzQ6eoSe6cYed6pF13qaNroZa/"
    "eDsab1JACaEczApUN1+NPP2RD+evD56PToy+HJ0RfahA8zvHL6Y/XTETArQg7PaNz7we9D"
    "F65acIwjUPn/DKwXC2iLcQ3ap5ClQ04jG+BYBG1wIcI2Wk8hkL1NQbuEr5qJ8Nxd0K8nRw"
    "U4/qt/d/G9f7dzcvSJ/SChi3/1Xoz8Owf8FoM6gpa/L9oCOgsZgJNU9cD8sSt4wzBbNno0"
    "XmUgjiiaW8WNAfz5oATAnw9yAWa3kgDPbMTA0KCbBfmS3nGNJRIDnaRMga37pHvBh22Enj"
    "6gfoPNN/+dKoB+fHU9uB/3r2/Zzy0d53eT49cfD9idA371LXV15yQ1TWEn4Jer8XfAvoJ/"
    "34wGHF7iuHOb/2LUbvzvHhsT9FyiYfKiQT32+gdXA9QSs25Cx9U8p9K8p2lrmHl/yG2Z+C"
    "2Z6ACTwpmmE2VrUsJVjGK9hLUNr3ENQhYTWx+fhDIWgyuL7ldiI2OOf0ZvHOQrOiKIZyLh"
    "ypfUH/xutgzcH8HqCa5Gb7MNX0I5P76o6LPTJ0buah/v31/0Lwc9jvAUzp5eoK1rCajZHX"
    "JAUlfCttlby4Nl+grEcM7BYU/BxuyjTsUIjJHZExydglu7RSen2apRuXNT7wYjYJlwhgA0"
    "ke06YE7AzoyulL8F/exZb5/OAARjCtDchktAb7hghx6mAHmhC+MvDrBs45muj15qemrtfI"
    "LZrV3adm4Tz2If/E52AbEBoT/1SGxvCVxiGTNAHoOWn2hTDNASGiagTIryMYdTQDzB38fj"
    "W4CwbhG6TMDOC5ouCHnaBfd00PTfpeHQ0eqf9tgnhq8OXhYIA8OlcBrsK/1J+lBEn+Cd/+"
    "p+G43u0Q7B/6U/7GGX/qpBn5w/DXA9GzuMnGAA53Rt7vV2yxxR/9Pj9P5qfaJ3er+pY2uT"
    "x1aOuYTIH7TvosB/UkbgTwsYMYH/JHNwhTZd+lKH1pCigwAf7B99KQExa5YL8upmCuYFOz"
    "0IJa9zY57LIhJklcSvlsnSPq/46eDg8PD0YP/w5Mvx0enp8Zf9kGlkbxVxj/Orb4yBJGYi"
    "4ChK8SVQGJRZ3bRVgcogs7afkW3Q7kRLmxATQSwGOU6WAnpK6TaFdLAzNntQPL+5GSbOiO"
    "dXqVU7erg+H1DsOfK0keHmLGaEuagjiXaMSoFdHmzDCUcuh3eSUEFeHnIHuS4dhZMF/J/3"
    "NyMx2nGatALKmLng/4BpOBvTVvT+/ujhGUMTTD3DpCNx9tjP/mNTTL1gIhhGiYkIWPfOdf"
    "/XNFe/GN6cp7VMrIPz1JSkjlfZmRmj1xwJRkBaaVdtmRxTpBMc/DounoFQJTi8GX0Lmqen"
    "RenllV5e6eX/LHp5PlvItolAeZzPXJNUiq/K89UIwaqvWJxYvWNtfsfietySKto4ibJ+rb"
    "d+cbyU+Wud+Su+rGTtX3HLFDZcyntMAz8JTkvnPvnXn++QCfmj5OJ9veoqZuTqCPJJNSBx"
    "jUdjxrF4J2CjWFdby9WzaG3WuIpmT0My7wmtq/693WLzKm2lmWS+ecfUP3rRU4Uv2uqF5a"
    "NYidWMCL1azK7Jl5TfT2QNfNWiMWtBN4EkECypHu+FPgv/8kPKuFhkPOiYfbERm0G+FTI2"
    "7ZJiYpKygyfwTgmJT5KK3hVBgwrej5nIOhW8LnQ9h0KoC4xy90tomrksLUXaIYvo4cHpSc"
    "jP2JciDnZ/3R8Os8BSoQXh2Zu2FAg3uZAmiTqE6Dv9UWLab+zIQRoRKDizcNLuMZq5cpAm"
    "iRSsWVhdU3KVRgQKTgGc7uNUEs+IQgEqcFvgelJZX74kVRc03EmHnMMyETyH+RE8h5kInh"
    "ViS3okpcdweahjhN1D+7hUwNRxQcTUsSBkCtmuhl4tg55CqpwOs+TKjNDmE+KjgaGpebYp"
    "83IliLr3Ym3KbdbA2pL9JMKBvUDGBStD3OApPbyytcf0pNazpBCUJFIms/UmMx+xGoxm11"
    "FPWwZxWbtZcnW1KXLsEhrm2x0xTc/qCewb8du7RSYOm7dxNJ0R1G/lSNsyLGQbRNfoyrLd"
    "VVhT1eQcyhDRlCEiMWeSwmaaVhkjWi1qcsuRlJosJGhu691v8b6bkNspS/XY5JSHM06iAM"
    "0IiEWSeb6EWCiSK1hDg8yMeFjA4NcackI6BW0etI63lJNgUoSdQbbhOMzQ1mgIYkjWWygN"
    "kUOWUq7HIYKC5FjrgYWiBFkKWKYi8mZPyJWKRYuRqFC0hKRdRyia0koprZTSSpXUSn0nnl"
    "2klkrc3y2jl1pwCqWYUooppZhSiqnyO7BSTCnFVGOAKsWUUkxtJ7RKMaUUU1t/rFSKKaWY"
    "UooppZhSiqnNLu0tVkxd4ZmhIz7wjFIqvLdbpJAy/FYfGgpO2QExn0vHgodjDkPBibUqxl"
    "RHKPifRcu1sTzTXPlUKcI7Sal0V63WXcVfWsl5TpGqOI02z/MMeo5UAFRI0MG85vXHmT0a"
    "dn7KuqJAGPvdOeuqHUA2ddBoIMSsKDtgPtQ1ZAf80yG9qi2iSds3MnSd0cTVp5VXB2R1QO"
    "7SAVkllmtHYrnryHD3C31uLg5mtArZRrtF6oWYMVB74e03r2hIVppCWOfx4KrYVPNKgCpx"
    "/AlCpQJo9dEweLckpzhGpia41ROcV6ci/7D0zvIUbT4oHRyXqRpHW+WnZjjO1I1TBSny0e"
    "9uQYpg7qZvcse4DJ0y6bfngNxxWFXa/43rHFTa/1LqhvVp/wXsoFFFTstYQZ16HPE21tyi"
    "3VJoMzt3Al06CjB6GA4/yo8kWNkihU+06AvUPKtGTet2DFVDvGG1TvsrADdmCt5IDeD212"
    "jvLVzXyh64w6vtLM8umWbyPQkm271qN5Vhckk5NslZugPsLTNCQPL0FVI3uJC/DcaSiiNG"
    "cgbonwn+PuhfngH2d4Jvb+7pZfaXfn5gHx/Yp/744jv9zP5N8OVgOBgPzsDq/wTf3I6vbk"
    "b3Z8D/0Kswl2UmMn8WM1O4QFBHtpQrfIxEucIndE91uMJPiS4QrPPLWAbtu5AXt0jZt4kC"
    "lha0oShNff7ajyjetfS3B/eNrHFmHrafoak5iI5El/EVEpE2p2U62RZ/IRu5Nj10Vsc5v4"
    "Pm0D7YFrSZrYV4bj7MX00C8ypfZGlTCD8y4k1h/Hl/b1MoF0B4efNwPhyA27vBxdX9lc9h"
    "QlsNv8kuRRm27wb9YQp0OJshi2lXYnWtBNDny/u5HTQojh7s7//18KefmrFlbuTwGoSbug"
    "vK8BeEdlupglaaXBljsmzmCb29EFtOVRCRdEFAbMA27yOmLYUV9sqdbNN9NMhQWAydH/8n"
    "c8alnPh+MKKnWJ9+gvvnqwtwGvb3sSdVXuvlBdqYjkDT4ZuU3C4k/tDTqz7d85Xtfzfhcq"
    "rDf3TmCOsn2Il4enamiitVCjtoTu483Ox+UEe1SsejwovjVIdY2EGDon37IbbRkj2BHR2C"
    "6HfPlUo1VdiHEnGyoFssjFCUiLCoVlFEpGoUSdQomnmOS5babAEx9m27EqALqD8afVnL84"
    "cVcK4sWIbEDUqUHn7C5AXLSpQPo59HN7+MzoBPP8EPt/SLNcGX/LLOr932H+4Hl1TsDF/h"
    "D5YyOcKaYwjT360NYoiTqgD3Nju5s0dDM881npFWIYdkHrmKXBVUrA6R8oXOykgn6BXUol"
    "yo7HxbiXtliBX/ajP/CqaraiYJMXn3dIQbSXSA0au7SldQIYQnQ9zIi9akP2KX3jOeB6Tq"
    "VGeIFU9t81zTo6xeea4zxGqu2zzX/NUkT5JKjxhVNWXH9sxojSoPjlrMyC6rqxbRd0h5Wo"
    "eymkMUZn6WM8BnKDuEbY25uAM5WZN11xeQdk/Orj9HHoctNKBUFL5S9GpPbvOezI306NUy"
    "aJ9VciNkydV8t36+mVMG0nMcOvK1ggJStW0J7Kmes9Bc8oSwtoDOQmbbEpDWsm19bKhkYt"
    "M6OSqxaZ0c5W5a7FYu3paNHg1B4Y5SiEfE3RMVarbYcdT4Zm8xjab8viHsQO0cbd45oikL"
    "/JjeM+3JPtTMt37mqxcbEJCr+W79fPO3VDYwMkvZha206RBJlaouX6rpbqo6z9IrznqSUs"
    "16W2ZdwGz90atkbyrZW8O7Vw3J3vJTZq0vtC2TUv6C9TEk8w6BnYxyIKbpWY6mQ8MUaeBk"
    "sLpkfdzxDrsO14J49rvx+s476TZgiVKD1aGK1zXsIkw5JROqAyYs2bCVR51i4Pz4E8008H"
    "tZvZ/08GLVY1dXmiq3IoMW0wi/E6VbNogOLaYGUpIGr2B+ZtLYS7o2QWkiRm1totJeH/jt"
    "AQR+D+DFcBfAcB1ABVMeIA52/IHspeLgPgFoItt19noplOvsV5AyNV1dN+CLQbbUWDpVlT"
    "y1fotrfvLU2ESUBzdJpA7WLUr430VcCxQWqiLeBjOpR5vYO7HtnsyaxjbJEWV1QpuUWRJS"
    "sEBiSUvJ+fJKRjRfL6zcYLQSDIBLAKFfbDQzLIOelOk3fsEH7oxKHTZ5AeQRUJEBEM+dkt"
    "eskFJDf+vzuf/Ri6Dtrfy6GSEPjIKui5aWy4v30WvolSUkcjggfkeRtPKqJRDTdI+/IsG7"
    "0eP0FED+hb95sd/1HJSSldhHfzTSPx3CVH4AHGYtua6r/nzsCXJ+XEroOzfmfxa576eDg8"
    "PD04P9w5Mvx0enp8df9sMNNHuraCc9v/rGNtPduO2mtHSYnYKCSusRSQdTldefBT7fXb9E"
    "IrfGM+3LA92L59MIcmxcDO7G2uDX26u7q9G3MxC5RtOZmOC7wfXV6HJwdwYC//gJPr+76V"
    "/SrXR8BqY2gfoMOu4ED677V0PtX4O7q69XF32WtPwMoCU0TO0Z2SEDmuDxgBG6iNHQiRiN"
    "BkPt8uq+fz5k2T0CJqcbDsOmUp6P+gMMLPhm0gfNro2i9M8hiUp9nrBq15E3Tke6Z2lPSO"
    "Dmk88OE0Rdc1DeSMbWSOKqwhIj6iazWiKs+2pUGc54Oxhdcv7n00/wfXDFiV0Z868uq9fA"
    "6jvoCOqUi/VHF4Phin0xIMyKfKv+Dc0XkWXCJeIkKm9KWpWUPnhkcC2R0CFJ3kG/p+31c8"
    "q6t5kIOkjzsGsIJO81UYVJUuU83OZ5npnQWGrIIjNB5FPRITdF2KHIskbOu6Kw6ewE5Ltu"
    "J6mU27Zy21YOvGXctpkUW2HKY2RqP2vzfiZSGZc9AQhIO7St1XYWCPwV5dBNUSlg22Ov7z"
    "isMTNWSUxjFMoBYr0DhOeogI315vnYolrv95DYi2rAtrz3Q8uYQVl0RZv3epg/wnVnSwEu"
    "8NyhQwCjh+GwJxQTagBXIrRhS9FNSUc58H6M984Nd1wZrkoaLwyrJ/DgybTZLfLiWbnCaG"
    "ay+VpPnnHoRfMXB0TEgCuhdsGMeJiuC+BZYPoGEJwtAEYvfsOsH8+7epvgCWaOQMy/Z8fQ"
    "wedPGYpnZL8ByyYsbwZwF9AFLnxCDvcFYr0k/YImeEef/s3v3Xqj3TkEcB2bA5b0IvCYDR"
    "pATIdimwb9GBsytBHgFSQAnEKsE4z0VX++zxHtr6TfkXJ8btLxuYLa9X0K1zbaqBpQt2Zk"
    "149hpLcrNDLMMwh/yWeYYYxNOXdHm64S2wWPNlkCCFiWjyCcgrK6/yHTXfCELHqf2JwDze"
    "iTUc6i8y8Lw6Ht3sR+j3V1vJ4RpYM1bDRDxvNK6fqb8tRrpadefI4y01CsX02RdlCn3iUl"
    "a+f9Be8fLi4G9/dnwM97NsFf+1dD1rlhTjCF7445xLAcWWk2WcbfpebsfujVCHJ/ZyelOG"
    "14irRD2sNaylt6WJgovGhHiWg6BGbDFnHZNGYqeVl1KzjXSlJxVaSnyfcoTVJ1AfcGyqY7"
    "xLNFRcfyYY4ougdx/YmFVbirCndtmVq3TLjrx+giVimV7nmxXIFKIn57t0gzscr2pIVVd9"
    "crKL6TF3prpSBYUTPNAdhxZgukeyay9/wMUp/AAjpgTlxgYLAqG2WSuSBtRC09vkM3yv9L"
    "sPWgfT1HoBbFYtQVgJSvYmC6bSGDL5LJY0RKa1pNJHcQwtK4x4gU7tVwV1lm8ydkO51UBQ"
    "q2MGdUC2wU3AlHIBAEzjn5kgA7E5azUeRPsTJQtstA6VJxdW7DpTTrTxHWw/7bAHXT/J++"
    "VLLiZZxG6Q3W6w10w7FM+KbJ4pymazDYt9cI1BvRgpkQzz2698ggHafp3oqu2RwUst4qSA"
    "uJFeTrIKcS9P/SQ6YU0jGaBjnHw/giyzyCi+3kzzyZigy0IUH3Fu7BcRl4aasCliwG2M9W"
    "g0SCXlG97yxxtbLflZZzeGVrC3/7aTc06UWeIVSLXWKxsxrp0uU+BaTdA30j+XRiyFUvXp"
    "zbiYrIbY8uK+ssFpu2/LQ8a9yUxF10Rqlch7PS1CSzJ6RrUyJ4sQp38BSl2r4ltu/AwPu7"
    "R1wooYDM0HXIW6y2wN0g86LG6rTYz9DU6HfPRTJpvQr76AwDqQ1ylRQlH+rttDeVSYqyKv"
    "HMrLXy856mVcJY24QxCctiLADdMjSXPKH3FkDqW8aYdbOFL3yek1eSYcYK51RHqXvFCYS7"
    "iirbtm317rZyufnCdT217roK0scVudsauDbpZ9NHtjFb9ASeNv6d3SJfGxi1Uc42jR0ANu"
    "xs84xsx3+DymqkYyRtjqesrP8/LqX/Py7Q/x9nUoNblgzCfvMOovt5f7+Mon9/P1/Rz+6l"
    "9AeEiRiCQ2R+wYgYSfMFIz7m2FhbaYgPdRr98f+DeARa"
)
