#include "dispatch.h"

int main(int argc, char** argv) { return hvym::dispatch(argc, argv); }
