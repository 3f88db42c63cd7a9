# The training examples (issue 5). Each smoke run uses fewer epochs and exits non-zero when
# the program does not learn; see each example's first lines for what it shows.
tapegrad_example(fashion_mnist SMOKE_ARGS --epochs 1 --limit 6000 --min-accuracy 0.70 --out fashion_mnist_smoke)
# exit code 77: the Fashion-MNIST data package is not installed
set_tests_properties("example: fashion_mnist" PROPERTIES SKIP_RETURN_CODE 77)
tapegrad_example(binary_classifier SMOKE_ARGS --epochs 5)
tapegrad_example(multiclass SMOKE_ARGS --epochs 3)
tapegrad_example(manual_backprop)
tapegrad_example(custom_function SMOKE_ARGS --steps 150)
tapegrad_example(optimizers SMOKE_ARGS --epochs 8)
tapegrad_example(lr_search SMOKE_ARGS --epochs 6)
tapegrad_example(overfitting SMOKE_ARGS --epochs 40)
tapegrad_example(fashion_mnist_cnn SMOKE_ARGS --epochs 1 --limit 3000 --min-accuracy 0.70 --out fashion_mnist_cnn_smoke)
set_tests_properties("example: fashion_mnist_cnn" PROPERTIES SKIP_RETURN_CODE 77)
tapegrad_example(fashion_mnist_lstm SMOKE_ARGS --epochs 1 --limit 5000 --min-accuracy 0.45)
set_tests_properties("example: fashion_mnist_lstm" PROPERTIES SKIP_RETURN_CODE 77)
# issue 18: the language model's smoke run must still beat the unigram baseline
tapegrad_example(char_lm SMOKE_ARGS --epochs 8 --limit 12000 --hidden 128 --batch-size 16 --sample 80 --target-ratio 0.75)
# issue 18: trees and a halting loop; the smoke run trains less, so its bar is lower
tapegrad_example(dynamic_graphs SMOKE_ARGS --steps 600 --target 1.5)
