"""Logins and e-mail local parts from real-looking Kazakh and Russian names."""

from __future__ import annotations

import pytest

from tirek.people.translit import login_for, to_ascii, to_latin, unique_login

NAMES = [
    # first, last, login
    ("Айгерім", "Әбілқасымова", "aigerim.abilkasymova"),
    ("Дәурен", "Жұмабаев", "dauren.zhumabaev"),
    ("Қуаныш", "Нұрғалиев", "kuanysh.nurgaliev"),
    ("Ұлжан", "Сейітқали", "ulzhan.seiitkali"),
    ("Гүлнұр", "Өтепова", "gulnur.otepova"),
    ("Айым", "Шәріпова", "aiym.sharipova"),
    ("Әлихан", "Бөкейхан", "alikhan.bokeikhan"),
    ("Жанар", "Хасенова", "zhanar.khasenova"),
    ("Мағжан", "Тоқтар-Ұлы", "magzhan.toktar-uly"),
    ("Нұрсұлтан", "Һашимов", "nursultan.hashimov"),
    ("Сергей", "Иванов", "sergei.ivanov"),
    ("Юлия", "Щербакова", "yuliya.shcherbakova"),
    ("Артём", "Подъячев", "artem.podyachev"),
    ("Эльвира", "Ким", "elvira.kim"),
    ("Наталья", "Цой", "natalya.tsoi"),
    ("Ольга", "О'Нил", "olga.onil"),
]


@pytest.mark.parametrize(("first", "last", "login"), NAMES)
def test_default_login_table(first, last, login):
    assert login_for(first, last) == login
    assert login.isascii()


def test_kazakh_names_are_kept_exactly_in_cyrillic():
    # The record keeps ә ғ қ ң ө ұ ү һ і; only the login is transliterated.
    assert to_latin("Әбілқасымова") == "Abilkasymova"
    assert "ә" in "Әбілқасымова".lower()


def test_rules_are_configurable(settings):
    settings.LOGIN_TRANSLIT = {"қ": "q", "ә": "ae", "ғ": "gh"}
    assert login_for("Мағжан", "Әбілқасымова") == "maghzhan.aebilqasymova"


def test_unique_login_counts_up():
    taken = {"dauren.zhumabaev", "dauren.zhumabaev2"}
    assert unique_login("dauren.zhumabaev", taken.__contains__) == "dauren.zhumabaev3"
    assert to_ascii("Zoë  Müller") == "zoemuller"
