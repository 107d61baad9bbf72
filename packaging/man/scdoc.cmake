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
file(RENAME "${OUT}.tmp" "${OUT}")
