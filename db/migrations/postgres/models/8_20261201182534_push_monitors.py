from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "pings" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "received_at" TIMESTAMPTZ NOT NULL,
    "kind" VARCHAR(8) NOT NULL,
    "exit_status" SMALLINT,
    "run_ms" BIGINT,
    "body" TEXT,
    "user_agent" VARCHAR(256),
    "source" VARCHAR(64),
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_pings_monitor_c4c298" ON "pings" ("monitor_id", "received_at");
COMMENT ON COLUMN "pings"."kind" IS 'SUCCESS: success\nFAIL: fail\nSTART: start';
COMMENT ON TABLE "pings" IS 'One report from a push monitor''s job, kept for the card and the history.';
        ALTER TABLE "monitors" ADD "push_last_body" TEXT;
        ALTER TABLE "monitors" ADD "push_token_prefix" VARCHAR(8);
        ALTER TABLE "monitors" ADD "push_token_hash" VARCHAR(64) UNIQUE;
        ALTER TABLE "monitors" ADD "push_last_ping_at" TIMESTAMPTZ;
        ALTER TABLE "monitors" ADD "push_started_at" TIMESTAMPTZ;
        ALTER TABLE "monitors" ADD "push_last_success_at" TIMESTAMPTZ;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "uid_monitors_push_to_08e1fa";
        ALTER TABLE "monitors" DROP COLUMN "push_last_body";
        ALTER TABLE "monitors" DROP COLUMN "push_token_prefix";
        ALTER TABLE "monitors" DROP COLUMN "push_token_hash";
        ALTER TABLE "monitors" DROP COLUMN "push_last_ping_at";
        ALTER TABLE "monitors" DROP COLUMN "push_started_at";
        ALTER TABLE "monitors" DROP COLUMN "push_last_success_at";
        DROP TABLE IF EXISTS "pings";"""


MODELS_STATE = (
    "eJztXW1z4jgS/isuvtxsVW4uQ95mUltbRRJmhlsCqUB2t3bZcglbAR9G9volCbc3//0k4X"
    "fLxnKMYzz6koCsFvYjWep+utX6u7M2VKjb73umNjVWEHUupb87CKwh/pC6diR1gGmGV0iB"
    "A+Y6rQxMTXZINVoM5rZjAcXBVx6BbkNcpEJbsTTT0QzyK8jVdVJoKLiihhZhkYu0v1yI21"
    "pAZwktfOGPP3GxhlT4Am3/q7mSHzWoq7Eb1lTy27RcdjYmLRsg5zOtSH5tLiuG7q5RWNnc"
    "OEsDBbU15JDSBUTQAg4kzTuWS26f3J33rP4Tbe80rLK9xYiMCh+BqzuRx53LYVlHlkfjqT"
    "zpT2W5wwGQYiACLr5Vmz79gtzCP7sfTi9OP56cn37EVehtBiUX37Y/HQKzFaTwjKadb/Q6"
    "cMC2BsU4BJX+T8F6vQQWG1e/fgJZfMtJZH0c86D1C0Jsw/EUANnZF7Rr8CLrEC2cJf56fp"
    "qD4y+9++uvvft356c/kB808ODfvhcj70qXXiJQh9DS90VeAnvJA3BcqhqY33YE7xlm04KP"
    "2gsPxKFEfaO4NoA/dAsA/KGbCTC5FAdYsSABQwZOGuQbfMXR1pANdFwyAbbqib73Pxwi9P"
    "gB1THSN947lQP9dHDbn0x7t3fk59a2/ZdO8etN++RKl5ZuEqXvzhPdFDQi/TqYfpXIV+n3"
    "8ahP4TVsZ2HRXwzrTX/vkHsCrmPIyHiWgRp5/f1SH7VYr+vAdmTXLtXvSdkKet675aZ0/I"
    "F0tI9Jbk/jjrJkLuUqIrFbwzqE17gCJYuorY8rpo5F4Eqj+9mwoLZAP8MNBXmA7wgghaVc"
    "eZr6g9fMgYH7zR89fmn4NlvgOdDzo4MKPzt+Yuhs1/He5Lp30+9QhOdAWT0DS5VjUJMrRt"
    "dIlAR105fW3XWyBCCwoOCQpyD37KF+vYTKamgsOgzbKbh2lGc7KaSWrBuL/dtOf3fCp8K3"
    "gjTH8DGld7GdkYkQfMFakG3jnwwgCO2sFzm8Z9lvxp+o/VHZoa3gZ6FfvnGZbVfa4nux3D"
    "51uycnF93jk/OPZ6cXF2cfj4PZJX0pb5q5GnwhM01smdht30W6nVd5i0m2UHlr0xpurBgv"
    "mWHoECB2724FEr06xxLt6sir8XgY68OrQeIVGj3cXvWxRUQ7D1fSnNibFUKMl2fHtTGEKo"
    "MwmayBrmdOaQnRUjpTwxRgb3Y76V6cB/MZ+ZI3g01ue8NhGlgdPzRSNvLa5lBB40ItQvSV"
    "TF8Iq4psPkhDAQFnGk7cPIKKwwdpXEjAmobV0TlHaSgg4GTA6TzOOfEMJQSgaUChZWHbZ4"
    "WfhodhjkuVYpmbhmuMZD4pQjKfZJPMJymSeYvYGpuk2Aznhzoi2D60zwpx+mc5pP4Zg9WH"
    "liPDF1PDVkgZ6zAtLljeJluIjxoCuuxaOs/LFRNq34vVPT79WODNItUyX63txfi7pSF5TX"
    "4SIp/R5bDM08I1WulBycGa6XHWs6ASFBcSPo3dPg0PsQrcGrdhSwcGcVHPRnx0Ncm5cQM0"
    "fXNv6Lprdhj+jejlozwXh0Xr2LJKBKr3ciR9GSa0NEOV8ciynM6fr4kfE46IuhwRsT7jVD"
    "aTssIZ0WhVk3qOuGiyQKC+pfe4wetuTG/HU6pLOqc4nFERAWhKQczTzLM1xFyVXMAaOGQU"
    "w0WMCX6nIyeQE9BmQWu7az4NJiHYGmRrUWUYDkoNlfFQbqUEuZ4DLGDEb+8GFrBiuAWwhC"
    "JylRV0GDrDvyfjERvViEhSvdYUR/qfpGv23uaLzo+PLlIIatLc1XRHQ/Z78rM/depXtwlE"
    "MU3b5/re3fZ+S9KA18PxVVKFJg1cCVZKsFKClSrHSn01XCuPlopdPyrCSy2phCCmBDEliC"
    "lBTBVfgQUxJYip2gAVxJQgpg4TWkFMCWLq4M1KQUwJYkoQU4KYEsTUfof2ARNTA6RoKqQ3"
    "niKlgmtHeYSU5tV6063geDow9KfCe8GDew62ghvmNl9YFVvBvxeWa28ZvCj5VGqHd1xScF"
    "eN5q6iLy1nPydExT6NJvezAlybawNUINDCZGbV7zN71CzbkemmMR6QE2Kty364ly1mNA0Y"
    "N9RxKYF0EaQJsY7nd27/RkquNUxcday8MJCFgdwmAzmS+9dwtEdNAQ61/FLIX3nin3++hz"
    "qtlA36KNLUweqPKeC/7ZNMuA0dd7/i56bqYIpVSFc6yqMXIs5A+ZnW3z/R8EfHeEZB6j6I"
    "VLof/E9BAtROApTZxx8TFBRAo01D/93i7OKImOjgRnewBYFtMFy52cZSKNE6Q6l7dl4kN8"
    "NZssMiqRnINZHLvCj67c1l7vfdfMNnxqXkhEu/OQZyy2GNKtUFQY2KCM5hN+dA8aqAcWh5"
    "YvbosGKTDYzpoFYip2FTQZU8DnsZq2/QHii0qZU7hi6+C2n0MBy+VRyJP7JZhE846HNonm"
    "2lurkd/FfQOuJ0ttrATZxrVSRVH66Vc7JVKlEfb17XV2V0LWdsLx3HTBvcQWkl0BYxtD9k"
    "29kfUmY2Z5rJ1ySYbPao3VeGyTWesY2ModtH7jqlBMStr0C6xoH8pT/lJI6IyKWE/8zQ13"
    "7v5lIif2fobjzBxeQv/vxAPj6QT73p9Vf8mfyboZv+sD/tX0rb/zM0vpsOxqPJpeR96JTo"
    "yyIdmd2LqS5cQqBCiysUPiIiQuFj3FMVofBzQ2Uo1lP4kqHE+PXbkBc3j+zr/zbNxzrg+o"
    "bj0Re/erIDEod2Aguw0tRnj/1Q4lVD/3Bw38sYJ+5h6wnosg3xnag8sUIs0fpYpvNDiRey"
    "oGNho7M8ztkN1Id291DQJr4Ww3WyYf6sGyDr5Iu0bALhRyK8L4w/HL/fF8o5EN6MH66Gfe"
    "nuvn89mAy8GSbw1dCLpCjMsH3f7w0ToANFgSZhVyLnWjGgz9b3MxuoUR3tHh//8+TTp3p8"
    "mXsxXv3tps4ST/hLAzdb6gStpLhwxqSnmRXcPBsWH1UQirRBQazBN+8hJq+ZJ+wVs2yTbd"
    "Q4oZA9dN7+Px4bF8/Ek/4IW7Ge/Az1rrYFYB6097aWKj3r5RlYCN+BrIINl97OFH5T61Wd"
    "v/fI9h91sJ6r4KfWmLBegp1wTk/3VP5JlcwG6tM7T/a7HlRxWqXtYuXFtstDzGygRtW++R"
    "BbcE2ewAqNIPzddbhSTeW2IVScNOgm2UbISkSYd1ZRKCTOKOI8Sri0ihMI16jbuGiFjGfE"
    "q9s8jH4ejX8dXUqe/Aw93OEv5gzd0GKVlt31Hib9G6wABYPpjfUdirBsa8xEbDvD6aOiYq"
    "t1k8OtyaNBxXW0JyiXyGaYJS72UDLOTg6Q8tSf0kjH5AXUrKycxNIqNXulhMX81eT5y++u"
    "sjkN2OLtY6v2suUewRdnu3G+xGaSlHAtL1qdkXFtes9oRoqyXZ0SFnNqk/t6CZBauq9Twq"
    "Kvm9zX9NU0VpycR0SqHOlxOD1aIeVBUYu4e3lZU5Z8i2i8KmhTClGQg5jPFZySbBG2FWaF"
    "9vVkmTdwnCHaPj27+mxtFLaAyi+pfCXkxZrc5DWZuovhi6nhNsvs0k+Li/5ufH+T8ACoZo"
    "QWZLOCDFGxbDE8e669lB1jBZG8BPaSZ9liiFaybL3tpr3YonV+WmDROj/NXLTIpUy8TQs+"
    "aowjJAohHgq3T1Wo2GNHUaOLvUkYTf51g9mAWDmavHKEXeZH1Lym2+NtiJ5vfM+XT3vPEB"
    "f93fj+pm8p7xa9tGQbltK6N+uJpGnZWk17k6a5plqy1+OSoteb0uuMyda7e5F2TKQdq3n1"
    "qiDtWHbypt1HPvMkN78mbQyNRYvAjsfbG7rumrasAk1nMXA8WN2QNu5pg22Ha2m41qvx+k"
    "obaTdgsUPvykMVPWGvjTBlJO8vDxjz8ICDNHXygRPnWPCgRQjOV6J0R26iRW/hPnM9xkYU"
    "I+FjcsRlZ31MDfOdqR87YwQloEPLkRxDMvAXCyqaqeFJFH+jBcoSIAT1SwlIlvEsGY+Ss4"
    "SS4Tpz4+V9JwFrFe1xnly6DfkhgjRmFjgOXJtOwZNLY4jJqkuVaX8sd45ih5aSVyTyu64d"
    "KJ/eI5GP3t1w/3QAU84NkBYKZ9a80hbfS3LNT93uyclF9/jk/OPZ6cXF2cfjwB5LX8ozzK"
    "4GX4htdhS1rHen4Iz0fpndehHxJqc37Ez7w/6X+94t7mJsaC0ssJ6h/m1vMLyUIFZM9ORU"
    "UMTJV31eyeywqwKpIWrP3VmiG6L7Iv29ktf9+6nc/+1ucD8YfbmUwhAX3BMzdN+/HYxu+v"
    "eXkh/nNENX9+PeDTaTp5fS3DKAqgDb8bpT/qV/P/g8uO6RNIhe38pP0IqtQW8f+GWCjY5v"
    "PN3XeQniAhGRHDHfB1Ais4QKVdeUV5DhfskOZogJtS1wZC85nUJ1p+zWcLfuRFomRKpnD3"
    "DlvemPbuh85snP0MQvsSMlU/rVIRldSQZYFQIVz4i90XV/OCSbxhUChK6X2zde/QLl6ac8"
    "YWxREbGfNRm8ltT6U7gW2GgXF2+hP+pw/U+MTTkQ2FB2kaMxdO4d0d5xURHU0eR+VnSgrW"
    "VoGgojIjXPvE0ItijitxZLt9jx7NkhNRUcz94w9EU4TWO64kADK4qE0xAttsz5vKGYWM+a"
    "vJ75Tk6+2JmEVIsWM3G+ZLNhjTg4CmIakRBhXrvDvFxbRHntjvKKDCpxtmQ9Z0uGpx+y1q"
    "8KwOUI1DlQdBPLdqMOlxxTX/twe1TUUjM7jKCDVJ2jvMCDrfde1uPVdwYfTAPH/z9sKRSW"
    "qOl+JCmGi/C4kFxTmm8kCJSlhOCzVzEdevCq1mZohkjsAglJeKep0ocfUhJP0NpIpmWQXW"
    "CSswSO5IAVtGn4AmklHsowQ+/U+b+81s0Nbs42JMpM2NIaF0ou8cRJAOFbsXQNf4zcMrCg"
    "RPOhSmAOkGogqG7b88IkcHsFQyW4Yga+l4CBvZ3GWYKseh1N1URmvwaSKqVUvc1EerdFIz"
    "V5+tFv2RNmEGJXLELLwqPEcqRHy1hLQCJ71iRv+cZT3X+M+ZG0gia+blh0BlLwk+GZRaVf"
    "lpqN623YoVpVNVzkoOC4wmFBBWpPW6qK78xgEdlULd+bPZ1F+yjVDfmsVEK0hUxkm6ip1k"
    "dNTR6ur/uTyaXk7eKfoc80co1kuJ0hDN89CSMgO76T02SRKIGKc1XAF83PZJfulPwkeAnR"
    "FtFalRwb4iJm2ru8FSWUaRGYNfsRxbm59fkOKV2G1VUWT5NzvnpMqg2413AcnW24FiuFfj"
    "bMoUT7IK4+TdZb+XWapmnu2Q3xFpx50yCugDQvsOl8n1zEdoPwhB79xKAkopeP8piJ7d5l"
    "OThDajdB8dV4xpe2BMFWmjAH0jtbWULV1aH13tsP/YO0BLa0MBxJQ9I2CbpuLOw0M1FJi6"
    "/gRul/jmndr1+NCdSgCPaqtm1kUwyE22ZO8Hk6eURIsKblVHIbQsSNe0RI4F4Od5EzKbtD"
    "DjO0j0GwBVvGG+CjoNEhDIXAjxrJ1gSITVjMR5HdxcJB2SwHpb91l3vqTwhWM/03Aeq653"
    "/8UvGql1EZwRvs5g1UzTZ1sJF5cU7K1bhFslML1HthwXSAFi5ee3iQjsq0b0RX7A4Kpt4y"
    "SDOFBeS7IMca9H+xkcmFdESmxpnjYXqdnjz8wmbOz0G6kKLQBgLtG7jdsyLw4lo5UzIbYC"
    "9nB2Qpenmn16WFyx1iV2o4ByUHe4ydl6xA5h7kKUEx2DkGOznxj/vwGoZo+0DfSxaSCHLl"
    "j+LKbETsY2wOl5UOFot0W3Yykx1hSuwmWkMqVxGsNNcNZQVVeW4wXqzcFTwhKZZvjuXbd/"
    "D+5RoO4CAgU3ItiharbEdpYIzSDKGsQLy8Yc2QrnFo+9TkwY7s7ZxbCvmk6BvDHrDEDUY7"
    "OFKWJNi2noAu4++uA3nyfuW20Zq1srLZRWRNyYb6MF2rRbKmbM/mI4EJJQ9/jsgKu6Npdg"
    "eHEz2SYtHUtgekvjKJfc/UpqSZA3zhs+IZmROmOEri0M7gOMjh5plIr4WrdTHGMZDe7qSS"
    "g4Frn9FSPWhpyrLDiJfyrhzlRUyBsI4ImapNt91zyNQTtGzvDSrqV4iINHlXbGkvzlkhL8"
    "5ZjhfnLJUW2zR5EPaqtxDdD8fHRdw1x8fZ7hpyLWEaG0TFYNhH2YclRETqPyzhbSyiyo5F"
    "eNPQ32//BxE9W4A="
)
