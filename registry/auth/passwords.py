"""Password rules for every account: a minimum length, and not guessable (zxcvbn's estimate).

zxcvbn (Dropbox's estimator, Python port) matches a password against its lists of common passwords,
names and words, keyboard walks, dates, repeats and sequences, including the account's own name, and
estimates how many guesses it would take. "Not a common password" is taken as a score of at least 3
(about 10⁸ guesses): `woaini1314`, `1234567890`, `password123` and `qwertyuiop` are refused.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from registry.errors import InvalidInput

MIN_SCORE = 3
MAX_LENGTH = 200
_ZXCVBN_MAX = 72  # zxcvbn's own input limit; what follows the first 72 characters only adds strength


def check(password: str, *, min_length: int, user_inputs: tuple[str, ...] = (), field: str = "password") -> None:
    """Refuse a password that is too short, too long or easy to guess (the message says which, in Chinese)."""
    if len(password) < min_length:
        raise InvalidInput(f"密码至少 {min_length} 个字符 / the password needs at least {min_length} characters",
                           field=field)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"密码最多 {MAX_LENGTH} 个字符 / the password may have at most {MAX_LENGTH} characters",
                           field=field)
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "easy to guess"
        raise InvalidInput("密码太容易被猜到（常见密码、用户名、键盘顺序或简单变形），请换一个更长、不常见的密码 / "
                           f"this password is too easy to guess ({hint})", field=field)
