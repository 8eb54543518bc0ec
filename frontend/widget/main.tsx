// placeholder: the widget build
export {};
