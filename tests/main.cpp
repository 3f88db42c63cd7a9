// The doctest main shared by every test binary (doctest 2.4.9 ships no main target).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
