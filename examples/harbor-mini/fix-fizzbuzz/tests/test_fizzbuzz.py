import sys

sys.path.insert(0, "/app")
from fizzbuzz import fizzbuzz  # noqa: E402


def test_numbers():
    assert [fizzbuzz(n) for n in (1, 2, 4, 7)] == ["1", "2", "4", "7"]


def test_fizz_and_buzz():
    assert fizzbuzz(9) == "Fizz"
    assert fizzbuzz(10) == "Buzz"


def test_fizzbuzz():
    assert fizzbuzz(15) == "FizzBuzz"
    assert fizzbuzz(45) == "FizzBuzz"
