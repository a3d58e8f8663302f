from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "status_pages" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "slug" VARCHAR(64) NOT NULL UNIQUE,
    "title" VARCHAR(128) NOT NULL,
    "description" TEXT NOT NULL,
    "logo_url" VARCHAR(2048),
    "note" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A public status page (/status/<slug>): its owner's chosen monitors in groups. */;
        CREATE TABLE IF NOT EXISTS "status_page_groups" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "position" INT NOT NULL,
    "page_id" INT NOT NULL REFERENCES "status_pages" ("id") ON DELETE CASCADE
) /* A named group of monitors on a page, in the page's order. */;
        CREATE TABLE IF NOT EXISTS "status_page_monitors" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "position" INT NOT NULL,
    "show_url" INT NOT NULL,
    "group_id" INT NOT NULL REFERENCES "status_page_groups" ("id") ON DELETE CASCADE,
    "monitor_id" INT NOT NULL REFERENCES "monitors" ("id") ON DELETE CASCADE,
    "page_id" INT NOT NULL REFERENCES "status_pages" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_status_page_page_id_0655e5" UNIQUE ("page_id", "monitor_id")
) /* A monitor on a page: in one group, at a position, with its URL shown or not. */;
        ALTER TABLE "monitors" ADD "badge_token" VARCHAR(32);
        CREATE UNIQUE INDEX "uid_monitors_badge_t_38ad96" ON "monitors" ("badge_token");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "uid_monitors_badge_t_38ad96";
        ALTER TABLE "monitors" DROP COLUMN "badge_token";
        DROP TABLE IF EXISTS "status_pages";
        DROP TABLE IF EXISTS "status_page_monitors";
        DROP TABLE IF EXISTS "status_page_groups";"""


MODELS_STATE = (
    "eJztXVtzozgW/isqv0y6KptJO5fuSU1NlZO4u7PjOKnE2ZnazRSLQbHZYInh0kl2tv/7Su"
    "IOAiOCCab1khjQEfBJSOd+/hqssA5NZ29kGTP8CNHgBPw1QOoKkh+5a7tgoFpWfIWecNW5"
    "yRqrlqG4tBk7rc4d11Y1l1x5UE0HklM6dDTbsFwD07sgzzTpSayRhgZaxKc8ZPzpQdLXAr"
    "pLaJML//qDnDaQDp+hEx5aj8qDAU099cCGTu/Nzivui8XOXSD3E2tI7zZXNGx6KxQ3tl7c"
    "JUZRawO59OwCImirLqTdu7ZHH58+XfCu4Rv5Txo38R8xQaPDB9Uz3cTrzpX43EBRplcz5X"
    "Y8U5SBAEAaRhRc8qgOe/sFfYS/Dd8ffjj8eHB8+JE0YY8Znfnwzb91DIxPyOCZzgbf2HXV"
    "Vf0WDOMYVPY/B+vZUrX5uIbtM8iSR84iG+JYBm14IsY2nk8RkINNQbtSnxUTooW7JIfHhy"
    "U4/mN0c/ZldLNzfPiO3hCTye9/F9PgypBdolDH0LLvRVmqzlIE4DRVMzC/7QzeMMyWDR+M"
    "ZxGIY4r2ZnFrAL8fVgD4/bAQYHopDbBmQwqGorp5kM/JFddYQT7QacoM2HpAuhf+2EboyQ"
    "vqV8h8Cb6pEuhnF5fj29no8prebuU4f5oMv9FsTK8M2dmXzNmd48wwRZ2A3y5mXwA9BP+8"
    "mo4ZvNhxFza7Y9xu9s8BfSbVc7GC8JOi6onPPzwbopYadVN1XMVzao17lraBkQ8euSsDvy"
    "UDHWJSOtJkoGxFiLlKUKznsLbhM26AyaJs68Mjl8eicOXR/YRtaCzQr/CFgXxBnkhFGo+5"
    "Cjj1u6CbLQP3Wzh7wrPx12yrTxGfn5xU5N3JG0PX38dHt2ej8/GAITxXtccn1daVFNT0Ch"
    "7izJmobf7SarjKnlGRumDg0LegzxygTtgIhKA54IhO4aXdMslJ8xtVk5sGVwgCy1Q1CFQT"
    "2q4DFhjsaGSm/Bj2s2e9vDsBKpgRgBa2ugLkggt2iDAF8BOZGD84wLKNr2R+DDLD02jn94"
    "he2iVtFzb2LPoj6GQXYBtgcqsHbHsr4GLL0AB+CFu+I00RgCvVMAFZpMg65jAKFd2jL7PZ"
    "NYBItzCZJmDnCc6XGD/uglvy0OTfueGQp9Xf7dFfFF8dPC0hAoZL4DToIbkleSms36Odf+"
    "tBG4Xs0Q5G/yY39pBL7mqQN2dvA1zPRg4lxwioCzI39wa7VUTUfw0YfTBbH8mVwR9SbG1T"
    "bGWYC7D8Yfs+MvzHVRj+LIORYPiPc4KrapOpLyS0RhQ9BHi4f/ixAsS0WSHI/sUMzEsqPX"
    "A5r1NjUbhEpMhqsV8d46WDteKn4fDg4MNw/+D449Hhhw9HH/ejRSN/qWz1OL34TBeQ1EiE"
    "K4pUfHEUBlVmN2lVojLIze2v0DZId7ypjbEJVcQHOUmWAXpO6DaFdLgztisonl5dTVIy4u"
    "lFZtZO7y5PxwR7hjxpZLgFkxkixuoIop2gkmBXB9twoicXwztNKCGvDrkDXZc8hZMH/O+3"
    "V1M+2kmarALK0FzwP2Aazsa0FYOfHzykUTTB3DNM8iTOHr3tL5ta1EsGgmKUGohw6d65HP"
    "2eXdXPJlenWS0T7eA0MyQZ8So/MjP4XMDBcEhr7aod42PKdILj32flIxCpBCdX089h8+yw"
    "SL281MtLvfz3opdnowVtG3OUx8WLa5pKrqvi62qMYN1PLEksv7Euf2NJPW5FFW2SRFq/1l"
    "u/GF7S/LXO/JWcVqL2r6RlChkuWXtMAz1ypKXTgPzTrzfQVNmrFOJ96XeVMHL1BPm0GhC7"
    "xoOhMSxeCdg00dXWrup5tDZrXIXa4wQvBlzranBtt9y8SlopJl5s3jH1r0H8VtGH5n+w7C"
    "l8tpoSwWeL2jXZlAr6ia2Bz0r8zErYTcgJhFNqwHoh78IOvgkZF8uMBz2zL7ZiMyi2QiaG"
    "XZBNTFP2UALvFZP4KKjo9QlaVPC+zUA2qeB1VddzCIQ6xyh3u1JNs3BJy5D2yCJ6MPxwHK"
    "1n9KBsBbu9HE0meWAJ0wKR9qKsOMxNIaRpoh4h+kp/lIT2GzlikMYEEs48nKR7BDVXDNI0"
    "kYQ1D6trCs7SmEDCyYHTfZgL4hlTSEA5bgtMTyrqy5em6oOGO+2Qc1AlguegOILnIBfB4y"
    "O2IiIpEcPFoU4Q9g/to0oBU0clEVNHnJApaLsKfLYMIoXUkQ7z5NKM0GUJ8cFAqql4tiny"
    "caWI+vdhbcpt1kDKit4SotBeIOKClSNuUUqPzmytmJ7WelZkgtJE0mS23mQWINaA0ewy7m"
    "nLIK5qN0vPri5Fjp2rhvlyg03TswYc+0by8m6ZicNmbRxFpwTNWzmytgwL2gbWFTKzbNcP"
    "a6qbnEMaItoyRKTGTJDZzNJKY0SnWU1mORJSk0UE7W29+x3ed1N8O1lSPTo41eFMkkhAcw"
    "xiGWdezCGWsuQS1sggo2EPcRb4tYaciE5CWwSt463EOJgMYW+QbTkOM7I1GpwYkvUWSoPn"
    "kCWV60mIVE5yrPXAqrwEWRJYqiLytEfoCsWiJUhkKFqK024iFE1qpaRWSmqlKmqlvmDPLl"
    "NLpa7vVtFLLRmFVExJxZRUTEnFVPUdWCqmpGKqNUClYkoqprYTWqmYkoqprRcrpWJKKqak"
    "YkoqpqRiarNTe4sVUxdIM3TIHjynlIqu7ZYppIyg1ZuGgpPlAJtfK8eCR88chYJjyy/G1E"
    "Qo+Pei5dpYnmmmfKoV4Z2mlLqrTuuukh+t4DhnSGWcRpfHWVM9RygAKiLoYV7z5uPMHgy7"
    "OGVdWSCM/eqcdfUEkE0JGi2EmJVlByyGuoHsgN8d0n5tEUXYvpGj640mrjmtvBSQpYDcJw"
    "FZJpbrRmK5y9hw9xt5b8YO5rQK+Ua7ZeqFhDFQeWLtN69oSFeagkhn8eCy2FT7SoA6cfwp"
    "QqkC6LRoGH5bgkOcIJMD3OkBLqpTUSwsvbI8RZcFpeFRlapxpFVxaoajXN04WZCiGP3+Fq"
    "QIx27+IibG5eikSb87AnLPYZVp/zeuc5Bp/yupG9an/ecsB60qcjq2FDSpx+FvY+1N2i2F"
    "Nrdzp9AlTwGmd5PJW/mRhDObp/CJJ32Jmsdv1LZux5A1xFtW63S/AnBrpuCN1ADufo32wd"
    "J1rbzAHZ3tZnl2wTSTr0kw2e1Zu6kMkyuyYuOCqTtG3irHBKSlr4i6xYn8eTwTVBxRkhNA"
    "/tyjL+PR+Qmgf+/R9dUtOU3/kt939Ocd/TWanX0hv+m/e3Q+noxn4xPg/79HV9ezi6vp7Q"
    "kIfgxqjGWVgSwexdwQLqGqQ1vIFT5BIl3hU7qnJlzh51jnMNbFZSzD9n3Ii1um7NtEAUtL"
    "tVVemvriuR9TvGrqbw/uG5nj1Dxsf1VNxYHkSXQRXyEeaXtapuNt8ReyoWsTobM+zsUdtI"
    "f2cFvQprYW7LnFMH8ysVpU+SJPm0H4gRJvCuP3+3ubQrkEwvOru9PJGFzfjM8ubi+CFSay"
    "1bCL9FScYftmPJpkQFc1DVpUu5Koa8WBvpjfL+ygRXZ0uL//t4OffmrHlrkR4TUMN3WXZM"
    "FfYtJtrQpaWXJpjMkvM4/w5QnbYqqCmKQPDGILtvkAMWXFrbBXTbLN9tHigkJj6IL4PxEZ"
    "l6zEt+MpkWID+ns0OvVPqPOov7eVVFmtlyfVRuQJFF19EeLbucRvKr3q871A2f6zqa7muv"
    "pLb0TYIMFOvKbnR6q8UiW3g/b4zoPN7gdNVKt0PMK8OE59iLkdtMjadx9iG67oG9ixEESO"
    "PVco1VRpH5LFyYNu0TBCXiLCslpFMZGsUSRQo0jzHBevFG2pIhTYdgVA51C/Nfqiluc3K+"
    "Bcm7GMiFvkKD30iPATEuUo76a/Tq9+m56AgP4e3V2TA+senbPTOjt3Pbq7HZ8TtjP6hN+Y"
    "y2QIK47BTX+3NoghSSoD3Lvs5E5fDWqea3yFSo0ckkXkMnKVU7E6QipgOmsjnaKXUPNyoV"
    "L5ttbqlSOW61eX169wuOpmkuCT909HuJFEBwg+u366ghohPDniVj60Nv0R+/SdsTwgdYc6"
    "RyzX1C6PNRFl9dpjnSOWY93lsWafJn4UVHokqOopO7ZnRBtUeTDUEkZ2UV01j75HytMmlN"
    "UMoijzs5gBPkfZI2wbzMUd8smKqLs+h7R/fHbzOfIYbJEBpSbzlaGXe3KX92RmpIfPlkH6"
    "rJMbIU8ux7vz402dMqBe4NBRrBXkkMpti2NP9Zyl4uJHiJSl6ixFti0OaSPb1tuGSqY2re"
    "PDCpvW8WHhpkUvFeJt2fDB4BTuqIR4TNw/VqFhix1DjW32FtVoiu8b3A7kztHlnSMestCP"
    "6TXDnu5DjnznR75+sQEOuRzvzo83+0pFAyPzlH3YStsOkZyr+gL6TIkIK5Mh6xvj2Ly2Q6"
    "YELIa+vykBPUuvOeppSjnqXRl1zqYWPL1MqieT6rXMJTSQVK84Ndn6guYiqfvPaB8TvOgR"
    "2OloEmyanuUoumqYPE2nCFbntI8b1mHf4Vpiz341Xl9YJ/0GLFXSsT5UyfqRfYSpoDRFfc"
    "C4pTG2UqQsBy6I81FMA712qQ+SS575PfZ1psmyNiJoUc37K1G6pg/R08lkqQuoGC7kefaI"
    "YHTLnKiuSW/9q0+12TJJ6TWrOGVuYlVbmzk3FTy5NoPuYASC9kAFQQ/gyXCXwHAdQDh5lr"
    "kA7AQPspcJ0HwHVBParrM3yKDcZL+cXL7Zss/hRhKm8U3k+aWHMqtvW1l9EwNRHdw0kdRE"
    "dKgSRR9xLdHwyFKNG0zxH29ir8S2f0x+Ftv0iiiqRNskz5ISGzgcS1asKOZXcrLMemblCk"
    "GfMQAuBpgc2FAzLAMilxyxEwFwJ4TrsPETwA+AsAwAe+4cP+eZlAb6W19o4K9BDO3ADzig"
    "hCxiT3UJ+225rKokOQefaaYshwESdBRzK89KCjFF99gnEn4bA0ZPAGQH7MtL3NdzYIZXoj"
    "+DpxG+dQRT9QdgMCvpeV339ok3KLi5ENN3aiy+F77vp+Hw4ODDcP/g+OPR4YcPRx/3ow00"
    "f6lsJz29+Ew3092ksasydyhi80+Q9DCHfvPlCYrjSCpkGGy9BIQ40INkopcw+cvZ+GamjH"
    "+/vri5mH4+AbHPPhmJe3QzvryYno9vTkAYuHGPTm+uRudkK52dgLmNVV1THfcejS9HFxPl"
    "H+Obi08XZyOaTf8EwJVqmMpXaEcL0D2ajSmhCykNGYjpdDxRzi9uR6cTmnYmXOR0w6HY1E"
    "pA07wviKW+mORF83OjLC95RCJz8qfcAJpIaKhD3bOUR8jxPyteDlNEfXOA2kgq4ZjjqrMk"
    "xtRtpluFSA/0ziIr4/V4es7Wv4D+Ht2GZ5zEmRk7dGkhEVp4RIeqTlax0fRsPPGXLwqEWX"
    "Pdan5DC1hkkTieJIlM6JNVJWUFjxyuFTKNpMl76Ci2vY5heX9AE6oOVDzkGhzOe024a5pU"
    "erV3eZw1UzVWCrSwxgnJKxNyM4Q9CnlsRd7lxfPnB6A4piBNJeMJxOMJpJ978YewnR7PVf"
    "zcKRdbY8gTZHI/6/J+xlMZV5UAOKQ92tYakwVCB08xdDNUEtju2Ot7DmvCjFUR0wSFdIBY"
    "7wDhOTLCZb15PjGp1vs9pPaiBrCt7v3QscWgKrq8zXs9zG/hurOlAJd47pBHANO7yWTAZR"
    "MaAFcgFmRL0c1wRwXwvo33zhVzXJn4tbaXhjXgePDk2uyWefH4rjCKmW6+1pNnFnnR/OCA"
    "mBgwJdQu0LCHyLwAngXmLwCq2hIg+BQ0zPvxvKq3e3SPqCMQ9e/ZMXTw/l2O4iu0X4BlY5"
    "rQBbhL1QWu+ggd5gtEe0n7Bd2jHX3+Y9C79UK6czBgOjYHrMhJ4FEbNFAReRTbNMjPxCOr"
    "NgSstAlQ5yrSMYK631/gc0T6q+h3JB2f23R8rqF2fZ3CtYs2qhbUrTne9W0W0msfjdziGc"
    "YLFS+YUVBSNXdHm8wS2wUPNl4BFdD0M2E4BVnq/oPnu+ARWuQ6ttkKpJE3IyuLzg6WhkPa"
    "vfD9HpvqeP1ClA3WsKEGja++0vUP6anXSU+95BjlhqFcv5oh7aFOvU9K1t77C97enZ2Nb2"
    "9PQJCQ7x59Gl1MaOeGeY8IfDfUIYYmb8suk1X8XRpOOwmfjTApfX5QyvPZZ0h7pD1spO6q"
    "h7gZ7Mt2lJimR2C2bBEXza8ns+rVt4IzrSRhV3l6mmKP0jRVH3BPr9DDoyouiaRV4SrNrm"
    "WcSrFn86rhFcMcU/QP4uYzXstwVxnu2jG1bpVw17fRRfg5qG5ZFWeOSiJ5ebdMM+Gnx1Ki"
    "ctDrFRRf8BO55CsIfGqqOQA7jraEumdCey9IufUOLFUHLLALDAT8emYmXnDSRjTS4yt0o+"
    "y/wLIetm9GBOpQLEZTAUjFKgaq2+Yu8GU8eYJIak3rseQOhEgY9wSRxL0e7jItb/GAbKeT"
    "KkfBFuWM6oCNIs7LxWMLEldLuYKgRCJNFlY5pZTlzU1DAz4poKRg50f/6MefHdNb/PLuJE"
    "wEBam9QVtiB6LQAOHQPX1hY7LN8xJLNdy7tKR2y5JKR1BIsg7a944Fa16sdg3XFGJvI4Iu"
    "q/hrwruRaOPkk+VwLlZ7ZshajDUebAjrtpWfRPjDimcL5RZJ0vRPKzfcP6wywWmzYtUnu5"
    "iJH8YuZw0pntthezmpZVxbg3N9O0UGWb/lexz1IkFR1m+R9Vu6Z+lopn6LL2FztIy1Mot/"
    "pr31CPN0eIXMwV6KVTtKMn+KlWrKollYSV2mxJ9AFaUZvavuK6ZoPEGkrcKI+ueS/nap4o"
    "oaxujBD+SCzQ2GeFVPUhnWLWXY29oj31TY2nhVdewYfD1N4axNkvTGDNZYcLZfT0RkFUhQ"
    "SP51Pf9qBcaaV7KvacvPlkFclYlNTK36PKxkzLrAmIXAlbJmCXSrMWchV1SVPQuL2ERM1A"
    "llomiOeMZo7QLVpReCHWI3LnZzdzMBzpJGdBJqhF0ex9Zs59yCOYkPIuHKJqvlvCV3J1mQ"
    "hlkQ+inwrUCnGJtQRQUm5ARZBtQ5odsUqtGZdk0Vp1dXk5RS9PQia4u4uzwd3+y8Z9w0aW"
    "T4e2ceb7Y6ifF8SRLJ9HUodVTfcZXiiRRPtkc8ya2yjSLbN3V6Ft7kJtPN1FHbimx3w2CY"
    "VY4jI4bWumKxkIZAVpMDi+GUivNuiVYumZYLW10JRzpkCJvZ+LsAddvhDuSjErVeJGn655"
    "DXvAlDNxzLVF8UUZyzdL2zFm0k6NtU0cLj8rglLqYJmv7N6Iazn0RLbx2kucQS8nWQGyv4"
    "X4wEgwJimhZXjrvZWX7xCE92c31mtQNFoI0I+jdxh0dV4CWtSpZkPsBBcUbIY/TKtL55Yq"
    "n7FdD9BlXmFOFJniOUk11gsmtEflWWqsNJNrpmXUmT9g/0jQR0JZBjFWWhU8Mvv7ATWYCm"
    "Ox75+UCMxLAVV6Fck5WP30VvLLdN5Oabm1h7hLoyx5wPq3QHz1DK7Vtg+w4VuX962FVrWB"
    "ojuh4lR2zM1hgWGlfIDaD9VTUVcuy5UKSKbWkfvVlAGoNcxkoWQ72dUXNVYiVZ7UyWnEh8"
    "3LO0khnrGjMmkEgnUW/JMhQXP0L0Ss/dkWXMaDdb+MFXijoLCiy9EqXq1ai2E6Rgb3giD4"
    "mfXonVJb0LRNSF4DfW39auKOWgreL3fDvgtnK6JZ3SXwFX77xQsglIjAdDYyC8Eqlpoqu+"
    "wpVN4NZELEufsNqkT9II2oa2HHC8koIru2V+SWrcRjomtTVPNu2Y9BXaDjfko1h7nyDpYR"
    "624dFRJVvJUYmt5CirtqcflQDCQfMeovt+f7+KUWR/v9goQq9ldC2YsmMcgfvvt1fTAiVL"
    "TJKVsw3NBf8DpuFso099CbgUjJR0nUsJls3+tZsWm2kHp29d8+7b/wG8Mxij"
)
