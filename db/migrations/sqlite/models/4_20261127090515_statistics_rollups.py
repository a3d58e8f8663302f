from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "rollup_state" (
    "name" VARCHAR(32) NOT NULL PRIMARY KEY,
    "done_id" BIGINT NOT NULL,
    "seen_id" BIGINT NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
) /* How far the rollup job (scheduler.rollups) has got in check_logs. */;
        CREATE TABLE IF NOT EXISTS "rollups_daily" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "period_start" TIMESTAMP NOT NULL,
    "checks" INT NOT NULL,
    "failures" INT NOT NULL,
    "maintenance" INT NOT NULL,
    "latency_count" INT NOT NULL,
    "latency_sum" BIGINT NOT NULL,
    "latency_min" INT,
    "latency_max" INT,
    "buckets" JSON NOT NULL,
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_rollups_dai_monitor_fe0f3e" UNIQUE ("monitor_id", "period_start")
);
        CREATE TABLE IF NOT EXISTS "rollups_hourly" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "period_start" TIMESTAMP NOT NULL,
    "checks" INT NOT NULL,
    "failures" INT NOT NULL,
    "maintenance" INT NOT NULL,
    "latency_count" INT NOT NULL,
    "latency_sum" BIGINT NOT NULL,
    "latency_min" INT,
    "latency_max" INT,
    "buckets" JSON NOT NULL,
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_rollups_hou_monitor_1893aa" UNIQUE ("monitor_id", "period_start")
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "rollups_daily";
        DROP TABLE IF EXISTS "rollup_state";
        DROP TABLE IF EXISTS "rollups_hourly";"""


MODELS_STATE = (
    "eJztXWtvo7ga/ison2albtWml5mtViulLTOTs2lStenuaLcj5ICbcEIMy2Xaas/892M73D"
    "EEU0II4y9tYvtx4DHY782v/+2tTA0azuHA0qfmEqLehfRvD4EVxB8ydQdSD1hWVEMKXDAz"
    "aGNg6YpLmtFiMHNcG6gurnkChgNxkQYd1dYtVzfJryDPMEihqeKGOppHRR7S//Eg7msO3Q"
    "W0ccXfX3GxjjT4Ap3gq7VUnnRoaIkL1jXy27RccV8tWjZE7kfakPzaTFFNw1uhqLH16i5M"
    "FLbWkUtK5xBBG7iQdO/aHrl8cnX+vQZ3tL7SqMn6EmMYDT4Bz3BjtztTorKeoownU+Veni"
    "pKj4Mg1USEXHypDr37ObmEn/vHp+9PP5ycn37ATehlhiXvv69/OiJmDaT0jKe977QeuGDd"
    "gnIckUr/Z2i9WgCbzWvQPsUsvuQ0swGPRdQGBRG30fMUEtnbFrUr8KIYEM3dBf56flrA4x"
    "+Du6vPg7t356c/kR808cO/fi/Gfk2fVhGqI2rp+6IsgLPgITiJqofm3T7BW6bZsuGT/sJD"
    "cYRo7ilujODjfgmCj/u5BJOqJMGqDQkZCnCzJF/jGldfQTbRSWSKbM2HHgYf9pF6fIPaBB"
    "mv/jtVQP10eCPfTwc3t+TnVo7zj0H5G0xlUtOnpa+p0nfnqWEKO5H+HE4/S+Sr9NdkLFN6"
    "Tced2/QXo3bTv3rkmoDnmgoynxWgxV7/oDRgLTHqBnBcxXMqjXsaW8PI+5fcloHfk4EOOC"
    "kcaTxQtsIlXMUQmyWsfXiNaxCyiNj6tGTKWISuLLsfTRvqc/Q7fKUkD/EVAaSyhCtfUn/w"
    "u9kzcr8HT09QGr3NNngO5fz4Q4XvHd8xdNfr+OD+anAt9yjDM6Aun4GtKQmqSY3ZN1MlYd"
    "ts1aq/SpcABOaUHHIX5Jp91q8WUF2OzHmPoTuFdQdFupNKWimGOd++7vRvL7orfClId82A"
    "U3oV6xmZgOALloIcB/9kSEGkZ70o0TUrQTfBRB08lT3aC74X+uU7l9p2qc9/FM3tl37/5O"
    "R9/+jk/MPZ6fv3Zx+OwtklW1U0zVwOP5GZJrFMbNbvYsPOK7wlkB0U3rq0hptLxktmmgYE"
    "iD26a0BqVGcY0a2BvJxMRokxvBymXqHxw82ljDUiOni4ke4m3qyIYrw8u56DKdQYBpP7FT"
    "CM3CktBa0kM7VMAPZnt5P++/NwPiNfimaw+5vBaJQl1sA3jdRXZeVwiKBJUIcYfaOlL6JV"
    "Qw4fpRFA0JmlE3ePoOryUZoECVqztLoG51MaAQSdDDrdpxknnxFCEJolFNo21n2W+G54LM"
    "xJVCUrc9t4TRiZT8oYmU/yjcwnGSPzmrEVVkmxGs5PdQzYPbbPStn0zwqM+mcMqz60XQW+"
    "WDrWQqpoh1m4sPK2WUN80hEwFM82eF6uBKh7L1b/6PRDiTeLNMt9tdaVyXdLR8qK/CREgU"
    "WXQzPPghvU0sOSvVXTk1bPkkJQEiR8Gpt9Gj5jNbg1bqKe9ozisp6N5NPVJufGNdCN1zvT"
    "MDyrx/BvxKsPilwcNm3jKBoB1O/lSPsyLGjrpqbgJ8t2e1/fEj8mHBFNOSISY8YpbKaxwh"
    "nRalGTeo64zGQhoLml96jF625CbsdTqkcGpzydcYggNCMgFknm+RJioUguaA0dMqrpIcYE"
    "v9GRE+IEtXnUOt6KT4JJATvDbCOiDMNBqaMqHso1ShjXC4gFjPjtzcQCVgy3IJaYiDx1CV"
    "2GzPCf+8mYzWoMkhavddWV/icZurO1+aL365OHVMKaNPN0w9WRc0h+9rde8+I2oSghaQe2"
    "vnc3gy9pM+DVaHKZFqFJB5fCKiWsUsIqVc0q9dn07CKzVKL+oIxdakERwjAlDFPCMCUMU+"
    "VXYGGYEoapxggVhilhmNpPaoVhShim9l6tFIYpYZgShilhmBKGqe0+2ntsmBoiVdcgvfCM"
    "USqsOygySOl+q51uBcfTgWl8K70XPLzmcCu4aa3zhdWxFfxHsXJtLYMXNT5V2uGdRArbVa"
    "ttV/GXlnOcU1CxT6PN46wCz+HaABUCOpjMrP59Zk+67bgK3TTGQ3IK1rnsh1vZYkbTgHFT"
    "nUQJpsswTQzreH7n9m9kcJ2xxNVnlRcKslCQu6Qgx3L/mq7+pKvApZpfhvlLH/7x9zto0E"
    "b5pI9jXe2t/Jgh/vs2jQk3kePuT3zfVBzMWBWyjQ6KzAsxZ6DyTNtv39Dwd898RmHqPog0"
    "uh/8qzACNG4EqLKPPwEUJoBWq4bBu8U5xDGYGOBWD7ANgWMyXLn5ylKE6Jyi1D87L5Ob4S"
    "w9YLHUDKRO5DIvy353c5kHYzd75VPjMjjh0m+PgtxxWuNCdUlS4xBhc9hsc6B81WBx6Hhi"
    "9vhjxTY2MKaDRg05LZsK6rTjsJex5h7aPaU2s3In2MVXIY0fRqNdxZEETzbL4BM99AVmnn"
    "Wjpm07+K8w64jT2RojN3WuVZlUfbhVwclWmUR9nOkQ35IIsd3sbisT4grPLGZO6lwZeavM"
    "YpXUEkJ0g9aNT/KU08BBIBcS/vOIPsuD6wuJ/H1Et5N7XEz+4s8P5OMD+TSYXn3Gn8m/R3"
    "Qtj+SpfCGt/z+iye10OBnfX0j+h16FsSwzkPmjmBnCBQQatLlCtmMQEbKdsJHUEbI9MzWG"
    "ADiFLzmLbdC+C/lbi4xS8pdpMdehTWo0GX8KmqcHIJ3J1YX2N2AoDsRXovHEVrCgzWnl5/"
    "sSX2FD18ZCenWe8ztoju3+vrBNbNOm5+bT/NEwQd5JAVlsiuEnAt4Wx8dHh9tiuYDC68nD"
    "5UiWbu/kq+H90J/NQ9s2rSRFUUbiO3kwSpEOVBVaRBuNnQPEoD5f7sztoEGxqH909PPJL7"
    "804/vZirAfbM9zF3hxXZi420onDqXhwnidnWaW8PXZtLmOzIhBuiCoNODL9BlTVswTycpp"
    "WOk+GpxQyJ4jf78Uj66FZ+J7eYy1KR//iAaX6wIwC/vbrcZEz8Z4BjbCV6Bo4JVLd2KCd6"
    "pFabND3zj5qwFWMw381hlVyk9IEs3p2ZEqPtmP2UFzcufJdteDOk73czwsvDhOdYqZHTQo"
    "2refYhuuyB3YkRKEv3suV2qewj6EiJMl3SLbrliJ24rOdolA4kwXzqNXK4s4IbhB2cZDS2"
    "Q+I17Z5mH8+3jy5/hC8vGP6OEWf7Ee0TUt1mjZ7eDhXr7GAlD4MO1Y3qEMK47OTFy1Mfw4"
    "DhVbU9scnkpuDaqeq3+DSoXsb3lwseeMcdZsyJQv/lRmOoEXVLOyGBJNq9LslQGL+avN81"
    "cwXFX3gLPh3bNWbWWLMoIv7nqjcYXg+wy4kRetyUiiLr1ndAd/1aHOgMWc2vqxNpecenAM"
    "VU0R3p8RrVENpqzFXIC8ljQWvkOmnTpMaZSiMI8nn3swg+wQtzVmVg1kJ2WJb4lH/mJAuy"
    "d71Z/xiNIWmncrLsgpvFiT27wmUxcifLF03GeVna5ZuBjv1o83cRlDLcfdnG8pYkDFssWw"
    "yIl94z/gvnHP0iqOehIpRr0to86YT/2rFzuvxc7rhoWPGnZel0nzlpcVkie/2xXpY2TOO0"
    "R2MoTGPyhQA7rBEqB4uLomfUSnE3aZrvW5im/kK32cYxcJS+T9r05V/JCBLtKUk7+wOmHM"
    "/In7pcqUIk6k8txlKs8EZYykDmlK8zM7ZMZxY3qH3gRBCRhYj5dcUzLxFxuquqXjWQJ/ow"
    "XqAiAEDUzEAkqm587MF8l8kq7l++Gn8eFKO+ylqK2rT85TStauCQKk/l7gunBluSVPKUkw"
    "p2gelRqDR7t3kDighLw5sd/1nFDK8m+LemLWV8P90yFVBRfAlUVDHAVM6po4Cjg2+lUiTW"
    "PwNqeI6E3lkfzpbnCDhxhrFHMbrB6RfDMYji4kiFdgIz0dlPFbHJfZ4HScv7/pOLu9Kdc9"
    "VGJb01v8Q00NQzymN4jzvZLvpor85XZ4Nxx/upAiUzweiUd0J98Mx9fy3YUU+GMe0eXdZH"
    "CN9cHphTSzTaCpwHH94VT+kO+GH4dXA5JKwh9b5Ru0E2vR7h1UFng18IVnxzp/k1QMIhJM"
    "JMxqdeyK0qDmWcoSMrJM5HtnE6Ba/LK7XZC2vx85Eneqbmvwmt4EbkGkEdY4Z7pbeXxN5z"
    "Mf/4jugxInVjKlX12SFYdk0dEg0PCMOBhfyaMR2fCgEiIMo9qeh/oXKF8+5XG3xSEiFjvt"
    "ZEtL/RleSwSJJuEddLzsr6OFETwIgQMVD7k6Q+beEJWShIoAhVaPc8FBYPl5q2o4CGyPxn"
    "Qb2atE1EL+2rWf/usyUQtEhqpyEkwEE7Npm2fTwJfEF6KQQokgL3GSQUO0xszrJTmNIUQ0"
    "zeZoGs8RwTSbg2liD5U4xaCZUwyiPPus9asGcjniIfaU3dSy3apjDNYhO/c0vwrD6x2vPi"
    "hyeq+jiZQwUctmn/dn8xlX2dT5vEZL/zVn0jtHXUDNM6B96Eco/SQtgCPNTVfSkbTeVWqY"
    "cyfr8a6lx83+7lzH724z/bfI1F6Xfynfy6uZCDLlkSJHewzUGcNtI972uF4KETfvMZDgvR"
    "rvYhdD/oDspxUobxdDRkfYjVxAFQmGQBAoGPmSAJHRt3+qEVf01Y8SerW1M4yCGCPuqT8F"
    "rGf6bwPVTc//+KXiFS/jmC54XpIy5vlpCRnz/DRXxiRVqZAZ3bEM8Krw8pzGiVOcy2Q+Nw"
    "Cae3jt4WE6juneE11zRs9w6q3CNBMsKN9AeRh5W5bmENA9avtnZSZo3Kpg0shM0fHwV+7E"
    "zVmwSODMkbnKj/tTuB/yDFA87BwPO0nypSyAs+CeV5LQ7pG+lYDeGHPVs+/kdiKCMtpjbc"
    "kGZcSGLT8uuDg9X04XnTF71pGfb2aY6pKc620yXqzCFTyFFMs3x/IduHj/8UwXcJjIMjgR"
    "HsM4kjFQl+iGW9bm7aLHmoFu8NEOjGd7+2Sv59xKzKehO6Y9tGO2mO12HlTUxrVSJK4Tzr"
    "83hICvMz0T13nFfK8xrNA72qZ3cLh5Y7sVLV1xzSV8a3qYgaVPSTd7+MKXyqQTTHsi/dC+"
    "5W3ay8fNV5HeSlfpIOO9JGl32a32hq5txvMMoK2rix4josevOSiK6QFRGxHU05hsu+Wgnm"
    "/Qdvw3qKxfIQZpc1qeyl6cs1JenLMCL85ZJsOEZfEw7DfvILvHR0dl3DVHR/nuGlKXOWXR"
    "ZW5DKTicPYI0n3doNxpRbRmGdhqc+v3/HXxMbQ=="
)
