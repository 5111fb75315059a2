from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# PyJWT's and python-jose's decoders.
_DECODERS = ("jwt.decode", "jwt.api_jwt.decode", "jose.jwt.decode", "jwt.PyJWT.decode")


class UnverifiedJwt(Check):
    """## What it does
    Flags a JWT decoded without checking its signature: PyJWT's
    `jwt.decode(token, options={"verify_signature": False})`, the old `jwt.decode(token, verify=False)`,
    or python-jose's `jwt.decode(..., options={"verify_signature": False})`, outside tests.

    ## Why is this bad?
    An unsigned check accepts any token anyone writes: set the client id, the user, the expiry and
    the issuer to whatever passes. If the decoded claims decide who may call an API over patient or
    genomic data, that API is open to everyone who can read how the token is built.

    ## Example
    ```python
    claims = jwt.decode(token, algorithms=["RS256"], options={"verify_signature": False})
    ```

    Use instead:
    ```python
    key = jwks_client.get_signing_key_from_jwt(token).key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=API_AUDIENCE, issuer=ISSUER)
    ```
    """

    code = "WG309"
    name = "unverified-jwt"
    category = Category.PERMISSION
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 347
    summary = "JWT decoded without verifying its signature"

    VALID = (
        Valid("import jwt\n\ndef claims(token, key):\n    return jwt.decode(token, key, algorithms=['RS256'])\n"),
        # Reading the header to pick the key is not trusting the claims.
        Valid("import jwt\n\ndef kid(token):\n    return jwt.get_unverified_header(token)['kid']\n"),
        Valid("import jwt\n\ndef test_decode(token):\n"
              "    assert jwt.decode(token, options={'verify_signature': False})['sub'] == 'x'\n",
              path="auth/tests/test_tokens.py"),
    )
    INVALID = (
        Invalid("import jwt\n\ndef claims(token):\n    return jwt.decode(token, algorithms=['RS256'], options={\n"
                "        'verify_signature': False, 'verify_exp': True})\n", line=4),
        Invalid("import jwt\n\ndef claims(token):\n    return jwt.decode(token, verify=False)\n", line=4),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not src.looks_like_test

    def visit_Call(self, node: ast.Call) -> None:
        q = self.qualname(node.func) or ""
        if not (q in _DECODERS or (last_part(q) == "decode" and q.split(".")[0] in ("jwt", "jose"))):
            return
        for k in node.keywords:
            if k.arg == "verify" and isinstance(k.value, ast.Constant) and k.value.value is False:
                break
            if k.arg == "options" and isinstance(k.value, ast.Dict) and any(
                    isinstance(key, ast.Constant) and key.value == "verify_signature"
                    and isinstance(v, ast.Constant) and v.value is False for key, v in zip(k.value.keys, k.value.values)):
                break
        else:
            return
        self.report(node, "This JWT is decoded without verifying its signature: anyone can forge the claims it "
                    "trusts (who the caller is, which client, until when).",
                    fix="Verify with the issuer's key (e.g. PyJWKClient(jwks_url).get_signing_key_from_jwt(token)) "
                    "and pin algorithms, audience and issuer.")
