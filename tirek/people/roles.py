from tirek.core.roles import Role


def derived_roles(user) -> set[Role]:
    return set()
