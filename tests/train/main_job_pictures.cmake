# cmake -DEXAMPLE=<fashion_mnist> -DCHECK=<svg_check> -DOUT=<dir> -P main_job_pictures.cmake
cmake_minimum_required(VERSION 3.16)
# Runs the main example for one short epoch into a fresh OUT, then checks its two pictures:
# the training curves (gnuplot) and the confusion matrix (our own SVG writer).
file(REMOVE_RECURSE ${OUT})
execute_process(COMMAND ${EXAMPLE} --epochs 1 --limit 3000 --min-accuracy 0.5 --out ${OUT}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}${err}")
if(rc EQUAL 77)
  message("SKIPPED: no Fashion-MNIST data (apt-get install dataset-fashion-mnist)")
  return()
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXAMPLE} exited with ${rc}")
endif()
if(NOT out MATCHES "curves in ${OUT}/curves.svg")
  message(FATAL_ERROR "the example did not draw its curves (is gnuplot installed? "
                      "scripts/install_deps.sh installs gnuplot-nox)")
endif()
# two curves (train, validation) in each of two panels; a 10 x 10 heat map
foreach(check "curves.svg;--min-paths;4" "confusion_matrix.svg;--min-shapes;100")
  list(GET check 0 name)
  list(GET check 1 flag)
  list(GET check 2 count)
  execute_process(COMMAND ${CHECK} ${OUT}/${name} ${flag} ${count} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OUT}/${name} is not a valid, non-empty SVG")
  endif()
endforeach()
