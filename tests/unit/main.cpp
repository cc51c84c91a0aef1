// The one main() of the unit test executable; every *_test.cpp registers its cases with doctest.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
