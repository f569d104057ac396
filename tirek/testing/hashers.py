"""A cheap Argon2 for tests: same algorithm and hash format, far less time and memory.

Hashes carry their own parameters, so production's hasher still verifies them (and the reverse).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1
