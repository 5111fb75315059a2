from __future__ import annotations

import ast
from collections.abc import Mapping

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

# PyJWT's and python-jose's decoders.
_DECODERS = ("jwt.decode", "jwt.api_jwt.decode", "jose.jwt.decode", "jwt.PyJWT.decode")


class UnverifiedJwt(Check):
    """## What it does
    Flags a JWT decoded without checking its signature: PyJWT's
    `jwt.decode(token, options={"verify_signature": False})`, the old `jwt.decode(token, verify=False)`,
    or python-jose's `jwt.decode(..., options={"verify_signature": False})`, outside tests. An unverified read of
    the issuer or key id that only picks the key is not flagged when the same token is then decoded with
    verification in the same function, or handed to a function of the same module that verifies it.

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
        Valid("""\
            import jwt

            def claims(token, key):
                return jwt.decode(token, key, algorithms=['RS256'])
            """),
        # Reading the header to pick the key is not trusting the claims.
        Valid("""\
            import jwt

            def kid(token):
                return jwt.get_unverified_header(token)['kid']
            """),
        # The unverified issuer only picks the key set; the same token is then verified with it.
        Valid("""\
            import jwt

            class IdTokenCheck:
                def check(self, id_token):
                    issuer = jwt.decode(id_token, options={'verify_signature': False})['iss']
                    return self._validate(id_token, JWKS[issuer])

                def _validate(self, token, jwks_url):
                    key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token).key
                    return jwt.decode(token, key, algorithms=['RS256'])
            """),
        Valid("""\
            import jwt

            def test_decode(token):
                assert jwt.decode(token, options={'verify_signature': False})['sub'] == 'x'
            """, path="auth/tests/test_tokens.py"),
    )
    INVALID = (
        Invalid("""\
            import jwt

            def claims(token):
                return jwt.decode(token, algorithms=['RS256'], options={
                    'verify_signature': False, 'verify_exp': True})
            """, line=4),
        Invalid("""\
            import jwt

            def claims(token):
                return jwt.decode(token, verify=False)
            """, line=4),
        # Verified only when a switch is on: the else branch trusts whatever the token says.
        Invalid("""\
            import jwt

            def claims(token, key, strict):
                if strict:
                    return jwt.decode(token, key, algorithms=['RS256'])
                return jwt.decode(token, options={'verify_signature': False})
            """, line=6),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not src.looks_like_test

    def visit_Module(self, node: ast.Module) -> None:
        functions = {f.name: f for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        functions |= {f"self.{m.name}": m for c in node.body if isinstance(c, ast.ClassDef) for m in c.body
                      if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        scopes: list[ast.AST] = [f for f in walk(node) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
        seen: set[int] = set()
        for scope in [*scopes, node]:
            for call in walk(scope):
                if id(call) in seen or not (isinstance(call, ast.Call) and self._decode(call) == "unverified"):
                    continue
                seen.add(id(call))
                if scope is not node and self._verified_later(call, scope, functions):
                    continue  # read the issuer or key id to choose the key; the same token is then verified
                self.report(call, "This JWT is decoded without verifying its signature: anyone can forge the claims "
                            "it trusts (who the caller is, which client, until when).",
                            fix="Verify with the issuer's key (e.g. PyJWKClient(jwks_url).get_signing_key_from_jwt("
                            "token)) and pin algorithms, audience and issuer.")

    def _decode(self, node: ast.Call) -> str | None:
        """"verified" or "unverified" for a JWT decode call, None for any other call."""
        q = self.qualname(node.func) or ""
        if not (q in _DECODERS or (last_part(q) in ("decode", "decode_complete") and q.split(".")[0] in ("jwt", "jose"))):
            return None
        for k in node.keywords:
            if k.arg == "verify" and isinstance(k.value, ast.Constant) and k.value.value is False:
                return "unverified"
            if k.arg == "options" and isinstance(k.value, ast.Dict) and any(
                    isinstance(key, ast.Constant) and key.value == "verify_signature"
                    and isinstance(v, ast.Constant) and v.value is False for key, v in zip(k.value.keys, k.value.values)):
                return "unverified"
        return "verified"

    def _verified_later(self, call: ast.Call, fn: ast.AST, functions: Mapping[str, ast.AST]) -> bool:
        """After the unverified read, the same token is decoded with verification in this function, or handed to a
        function of this module that verifies what it is given."""
        if not call.args or not isinstance(call.args[0], ast.Name):
            return False
        token = call.args[0].id
        for later in walk(fn):
            if not (isinstance(later, ast.Call) and later.lineno > call.lineno
                    and any(isinstance(a, ast.Name) and a.id == token for a in later.args)):
                continue
            if self._decode(later) == "verified":
                return True
            callee = functions.get(ast.unparse(later.func))
            if callee is not None and any(isinstance(n, ast.Call) and self._decode(n) == "verified"
                                          for n in walk(callee)):
                return True
        return False
