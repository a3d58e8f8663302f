from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "monitors" ADD "last_error_kind" VARCHAR(32);
        ALTER TABLE "monitors" ADD "last_latency_ms" INT;
        ALTER TABLE "monitors" ADD "last_ok" INT;
        ALTER TABLE "monitors" ADD "last_status_code" SMALLINT;
        ALTER TABLE "users" ADD "email_alerts" INT NOT NULL DEFAULT 1;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "monitors" DROP COLUMN "last_error_kind";
        ALTER TABLE "monitors" DROP COLUMN "last_latency_ms";
        ALTER TABLE "monitors" DROP COLUMN "last_ok";
        ALTER TABLE "monitors" DROP COLUMN "last_status_code";
        ALTER TABLE "users" DROP COLUMN "email_alerts";"""


MODELS_STATE = (
    "eJztXetvo7gW/1dQPu2VZqs2fcxMtVopbZlO7qRJlaQ7o92ukANOgkpMBsy01dz+79cmvD"
    "EUU0II4y9tYvs45nf8OC8ffnZWpgYN+6C31qfmA0Sdc+lnB4EVJB9Sde+kDlivwxpagMHM"
    "cBuDta5g2swtBjMbW0DFpGYODBuSIg3aqqWvsW7SX0GOYdBCUyUNdbQIixykf3cg6WsB8R"
    "JapOKff0mxjjT4BG3/6/pBmevQ0GID1jX62265gp/Xblkf4U9uQ/prM0U1DWeFwsbrZ7w0"
    "UdBaR5iWLiCCFsCQdo8thw6fjs57Vv+JNiMNm2yGGKHR4Bw4Bo487kwJyzqKMhxNlYk8VZ"
    "QOB0CqiSi4ZKi2+/QLOoTfu0cn708+HJ+dfCBN3GEGJe9fNj8dArMhdOEZTjsvbj3AYNPC"
    "xTgE1f2fgvVyCSw2rn77BLJkyElkfRzzoPULQmzD+RQA2dkWtCvwpBgQLfCSfD07ycHxr9"
    "748nNv/NvZyX/oD5pk8m/WxdCr6bpVFOoQWne9KEtgL3kAjlNVA/NuZ/CWYV5bcK4/8UAc"
    "UtQ3i2sD+KhbAOCjbibAtCoOsGpBCoYCcBrkK1KD9RVkAx2nTICteaQH/od9hJ48oDZCxr"
    "O3pnKgn/Zv5Mm0d3NLf25l298NF7/eVKY1Xbf0OVH621mCTUEn0tf+9LNEv0p/j4ayC69p"
    "44Xl/mLYbvp3h44JONhUkPmoAC2y/P1SH7UY1w1gY8WxS/E9SVsB570hN4Xxe8JoH5NcTh"
    "NGWQqXcBWheF3C2odlXIGQRcXW+QNTxqJwpdH9ZFpQX6Av8NkFuU9GBJDKEq48Sf3O62bP"
    "wH3xZ49fGq5mCzwGcn50UpFnJ08M8eYc700ue1dyx0V4BtSHR2BpSgxqWmN2zURJ0DZdte"
    "qukiUAgYULDn0KOmYP9cslVB8G5qLD0J2Cund5upNKWymGudi+7vSzEz4VGQrSselj6o5i"
    "syNTIvhEpCDbJj8ZQBDqWU9KOGbF78bfqP1Z2XF7Ic/ifnnhUtsu9MWvorl97HaPj993D4"
    "/PPpyevH9/+uEw2F3SVXnbzEX/mu40sWPidf0uwnZe4S1G2ULhrU1nuPnAWGSmaUCA2Nzd"
    "ECS4OiMU7WLkxWg0iPHwop9YQsO7mwuZaEQu80gjHcdWVggxOZ6xYxMINYbBZLIChpG5pS"
    "VIS8lMDROAvd3tuPv+LNjP6Je8HWxy0xsM0sAa5KGR+qysbA4RNE7UIkTfaOkLYdWQzQdp"
    "SCDgTMNJukdQxXyQxokErGlYscE5S0MCAScDTjyfceIZUghA04BCyyK6zwN5Gh4Lc5yqlJ"
    "W5abjGjMzHRYzMx9lG5uOUkXmD2IqopEQN54c6Qtg+tE8L2fRPc4z6pwyrPrSwAp/WOtFC"
    "ymiHaXJh5W2yhjjXETAUxzJ4FleMqH0Lq3t48qHAyqLNMpfWpjK+tnSkrOhPQuRbdDk08z"
    "RxjVp6ULK3anrc6llQCIoTCZ/G6z4ND7EK3Bo3YU97BnFRz0Z8djXJudFHqq5Bd+Ap50ZQ"
    "9y7PuaF7rXbq2yDHpGn8KOzcCMYc+DbM9SYArgrfxq/i2NhaSBrZMKxy8SZxSuGyaLRAGl"
    "20nHxOkArFo8l8VoFjc2n0AUELo/OqN5zMdcsmmji1gvBpdjGy1oXzbsVm4sa1cUMdpxJI"
    "F0F6DnSD7O9uDAKPNTtFV58ud9hocUsoyEJBbqmCHLnMYmJ9rqsAu5pfCvkLj/zTlzE03E"
    "bZoA8jXe2t/JgC/mWbxoSb0Gr5lTy3Kw6mrArpRu/yzAsRS6jy6LbfvqHhn475iIJYVIg0"
    "18HxrzAC1G4EKOOYihEKE0CjVUN/bXGyOEImGNxoBlsQ2Jvzs6iyFFK0TlHqnp4VcTaeJh"
    "kW8TXSOnE5T1zO83k3e+ZT41J0IuSrOQpyy2GNCtUFQY2SCJvD6zYHF68KLA4tv2kYnVZs"
    "YwNjO6jVkNOwraBKOw77GKtv0u4ptKmTO4YuGYU0vBsMdhVH4s9slsEnnPQ5Zp5No7ptO+"
    "SvMOuIdEO1gZtI1FIk9pS0yknVkoo85YzvfUtkb7PR3VZo74rsLGbGXRAZOavUYRXXEgLq"
    "Gq0b1/KU08BBSc4l8ucefZZ7V+cS/XuPbkcTUkz/ks939OMd/dSbXn4mn+m/e3QlD+SpfC"
    "5t/t+j0e20PxpOziXvQ6cEL4swMpuLKRYuIdCgxfAP/XcyGrLXSYQkaSjRVSz9TzJ0e2v6"
    "SOePuYNUyhpp5ugG1pF9QH/2z22ZrXLgphDFbCQ+zr/d9L4lWXA5GF0kjR+0g4sEQ2amxh"
    "AAp/Ap47D127fhQkKeUUr+Ns3HOrBJDUbDa795kgHJqwkYWj+AodiQjETjia1gkdanlZ/t"
    "S3yFBbFFhPTyOGd3UB/a3X1Bm9qmTQdnw/zJMEHW1dc0bQLhOSXeFsZHhwfbQjkHwqvR3c"
    "VAlm7H8mV/0vd288C27VbSovCKzVjuDRKgA1WFa6qNRhJbMKDPljszO6hRLOoeHv5+/PFj"
    "Pb6frQj7fg4MvCSH69Ik3ZZKoZEkF8br9DbzAJ8fTYvrDniEpA2CSg2+TA8xZcVMsVNMw0"
    "r2UeOGQu8cefeleHQtshNP5CHRpjz6e9S72BSAWdDfbjUm97L3I7AQGYGigWcu3YlJvFMt"
    "SpsdeMbJPwywmmngz9aoUjT+2bFguKenOZWfqorZQX1y5/F2z4Mq0lXZDhFebLs8xMwOah"
    "Ttmw+xBVf0CaxQCSLfHcySMXO0qJw+hIiTBn1Nr12xcnXmJSsIiUSSAs5cgqVFnIC4RtnG"
    "QQ/IfES8ss3d8Mtw9HV4Lnn09+julnxZ36Mrt1hzy257dxP5ighAwWTasbzjIqzYOjN5x6"
    "vhx1FScTW1yeGp9NGg6mD9B1Q8wYczux+TXNw5YyRPDJDyxJ/SSMfoBdRJqBF8wl76bv6Y"
    "4BRxLftXnQEObdq+3IvFZVmdIhZHVeN5zZ3lO0JVTj7fH45WKJ27qL0h3TeLvkUaZzU5vw"
    "lEJRN/pyhbhG1lYkCYdII7eS2DtH0OjOoTsbiwBVankgdygl6cyU0+k0UK3V+Q39STBbUM"
    "L1i2AssgFccWw1AgrrP+gtdZnbVWkutxSsH1pnCdsZ96oxcXQsWF0JqFjwouhBbJPpWVrI"
    "4n7VT0jZItATsRfh5JF10epmhu6jbClJH2qjxgzLRb+yVqFgJOZIDbZQa4GGSMu8BJSLMv"
    "BKf4+Oqt4M4IQQkYRM+SsCmZ5IsFVX2tk12CfHML1CVACBoEiCWUTAfPzCfJnEtX8qR/PT"
    "xYaQedBLRV9cmZ3H5jOqaErj8OYAxXa1wwuX0MOUVzxDt7+cWxnb+z151TbJvt6/FBEfIm"
    "X+ztTOWBfD3u3RAWE4FrYYHVPZJvev3BuQTJAWgkV2OhexZFwtKPsqPSj9JB6ZnW8wLB6G"
    "8xn9fFhmgklh+ddSmPp4r87bY/7g+vz6XQUkk4cY/G8k1/eCWPzyXfXH2PLsaj3hURl6fn"
    "0swygaYCG3vsVP6Sx/1P/csevQDs8Vb5Aa3YUbB7+/0aPBtk4GleZ4e2R0jEteCY1aGKWH"
    "YNas5aeYCMu8HZzqsYUSVuq90eSNu/RRZKG2WDUZ26r+6tIdIoapw73a08vHL3M4/+Hk38"
    "EjtSMnW/YprLgOY+0CDQyI7YG17KgwENU1UpEIZRLlK1+gPKEw95vBFREhFBx4ygiwjdKV"
    "wLxNDFyVtol95fOzQjtgoCGyoOwjpD5n7FaR8nFf7bRvM55/Ut2dlGKnh9yx7xdBs5R4RT"
    "N/vs2k/3XhGnLpWhyuTvD8nEbtrk3dR35fB5cBNUIgZG5J+uCVbH5o02iFCIYIPXgw0cW8"
    "QavB5rEJlUIvd0Pbmnw+zIrPOrAnA5whH2FN3Esd2o5NPuhsHwNvsbSbaXma7F7eec5vKy"
    "/iou1q1lmPZ9icyjPs+HnSCs5sRvAtS1eLPjYgBvmu8oTRssLHGb/9lJAZv/2UmmzZ9WJV"
    "xjur02wLPCi3OSTrxjq0heOgOghUPOHh6kozTtm9EV51sJtt4ySDOJBeSvQB5E2BSFOSBo"
    "H7Td0yIbNGmVs2mktuhomAt3Wq00sUivxXGB3/PvK9yTPEUoJjvHZKe5DpQlsJfc+0qctH"
    "2gbyVwJ4Jc+UvImZ0I50uTnS8RtmXH/+RnKcnoojXxQFWkKZkZpvpA37pmMhZW7gmeoBTH"
    "N8fx7ZtyvzsmBiV8YAGdcIMxXpjhq0vuvRbWHam8ac2grnFq+8azvZ3Zmz23FPJJ0h3DHt"
    "gxG4x2M9NIN/GsFPk7RKjXG0K9NgnvIERl015FaIXe0TS9IxXyUSQZAljrCjYf4FtvYffW"
    "+pR2s4cLvtCFdX/bE7f89y09wl5Ot+iLtt8AV+Fgor0EaXdJJPYGrm3G8/SgpavLDiOix6"
    "t5lxfTA8I2IqinNtl2y0E9P6BleyuoqF8hQtLk6/elvTinhbw4pzlenNPUTVKyqDgQ9pq3"
    "EN2jw8Mi7prDw2x3Da1LvQMDM8NNc16dF5LUn19gNxpRZZkEOLSW6g+zl/8DH3Dhrw=="
)
