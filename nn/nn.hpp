#pragma once
// tapegrad::nn: modules, layers, losses, initialisation, save and load.
