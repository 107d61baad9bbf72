# cmake -DSCDOC=... -DIN=page.scd -DOUT=page -DJIKU_...=... -P scdoc.cmake
# Fills in the @JIKU_*@ paths of this build, then runs scdoc, which reads stdin and writes
# stdout; execute_process redirects without a shell.
get_filename_component(outdir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${outdir}")
configure_file("${IN}" "${OUT}.scd" @ONLY)
execute_process(COMMAND "${SCDOC}"
                INPUT_FILE "${OUT}.scd"
                OUTPUT_FILE "${OUT}.tmp"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "scdoc failed on '${IN}' (${rc})")
endif()
# Paths and options must never be broken across lines ("/var/lib/jiku-" "agent"): scdoc turns
# hyphenation off before .TH, which turns it back on, so off again after it, and no line break
# after a hyphen either.
file(READ "${OUT}.tmp" roff)
string(REGEX REPLACE "(\n\\.TH [^\n]*\n)" "\\1.nh\n.cflags 0 -\\\\[hy]\n" roff "${roff}")
file(WRITE "${OUT}.tmp" "${roff}")
file(RENAME "${OUT}.tmp" "${OUT}")
